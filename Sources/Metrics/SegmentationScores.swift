/// Quality of one predicted instance map against its ground truth, with the definitions
/// of the community reference (hover_net `metrics/stats_utils.py`).
public struct SegmentationScores: Sendable, Equatable, Codable {
    public var dice1: Double
    public var dice2: Double
    public var aji: Double
    public var ajiPlus: Double
    public var dq: Double
    public var sq: Double
    public var pq: Double
    public var groundTruthCount: Int
    public var predictionCount: Int
    /// False when the image has neither nuclei nor predictions: no score is defined and
    /// the image is left out of means.
    public var scored: Bool

    public init(dice1: Double, dice2: Double, aji: Double, ajiPlus: Double, dq: Double, sq: Double, pq: Double,
                groundTruthCount: Int, predictionCount: Int, scored: Bool) {
        self.dice1 = dice1
        self.dice2 = dice2
        self.aji = aji
        self.ajiPlus = ajiPlus
        self.dq = dq
        self.sq = sq
        self.pq = pq
        self.groundTruthCount = groundTruthCount
        self.predictionCount = predictionCount
        self.scored = scored
    }

    /// The scores of an image with neither nuclei nor predictions.
    public static let unscored = SegmentationScores(dice1: 0, dice2: 0, aji: 0, ajiPlus: 0, dq: 0, sq: 0, pq: 0,
                                                    groundTruthCount: 0, predictionCount: 0, scored: false)

    /// Image-wise mean over the scored images (the convention of the literature).
    /// Counts are summed over all images. Nil when no image is scored.
    public static func mean(_ scores: [SegmentationScores]) -> SegmentationScores? {
        let scored = scores.filter(\.scored)
        guard !scored.isEmpty else { return nil }
        let n = Double(scored.count)
        func average(_ key: KeyPath<SegmentationScores, Double>) -> Double {
            scored.reduce(0) { $0 + $1[keyPath: key] } / n
        }
        return SegmentationScores(
            dice1: average(\.dice1), dice2: average(\.dice2), aji: average(\.aji), ajiPlus: average(\.ajiPlus),
            dq: average(\.dq), sq: average(\.sq), pq: average(\.pq),
            groundTruthCount: scores.reduce(0) { $0 + $1.groundTruthCount },
            predictionCount: scores.reduce(0) { $0 + $1.predictionCount },
            scored: true)
    }
}
