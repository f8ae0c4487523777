import Imaging

/// The simulated annotator of RITM/f-BRS: the next click goes to the interior point of the
/// larger error region that is farthest from that region's boundary — a false-negative
/// region earns a positive click, a false-positive one a negative click.
public struct RobotClicker: Sendable {
    public let groundTruth: Mask
    /// Pixels where a disagreement is no error (see `BoundaryTolerance`); nil: none.
    public let ignored: Mask?
    /// Pixels already clicked are never clicked again (a person would not repeat a click
    /// that did not help).
    private var clicked: Set<Int> = []

    public init(groundTruth: Mask, ignoring ignored: Mask? = nil) {
        precondition(ignored.map { $0.sameSize(as: groundTruth) } ?? true, "ignored pixels and ground truth differ in size")
        self.groundTruth = groundTruth
        self.ignored = ignored
    }

    /// The next click for `prediction` (same size as the ground truth), or nil when there is
    /// no error left to correct.
    public mutating func nextClick(prediction: Mask) -> Click? {
        let width = groundTruth.width, height = groundTruth.height
        precondition(prediction.sameSize(as: groundTruth), "prediction and ground truth differ in size")
        var falseNegative = Mask(width: width + 2, height: height + 2, repeating: false)
        var falsePositive = falseNegative
        for y in 0..<height {
            for x in 0..<width where ignored?[x, y] != true {
                let truth = groundTruth[x, y], predicted = prediction[x, y]
                if truth && !predicted { falseNegative[x + 1, y + 1] = true }
                if !truth && predicted { falsePositive[x + 1, y + 1] = true }
            }
        }
        // The one-pixel background border makes the image edge count as region boundary,
        // as RITM's padded distance transform does.
        let fn = Self.farthestInterior(DistanceTransform.euclidean(falseNegative), excluding: clicked, width: width)
        let fp = Self.farthestInterior(DistanceTransform.euclidean(falsePositive), excluding: clicked, width: width)
        guard fn.distance > 0 || fp.distance > 0 else { return nil }
        let positive = fn.distance > fp.distance
        let index = positive ? fn.index : fp.index
        clicked.insert(index)
        return Click(x: index % width, y: index / width, positive: positive)
    }

    /// The first (row-major) unclicked pixel with the largest distance, in unpadded indices.
    static func farthestInterior(_ distance: Plane, excluding clicked: Set<Int>, width: Int) -> (index: Int, distance: Float) {
        var best: Float = 0, bestIndex = 0
        for y in 1..<(distance.height - 1) {
            for x in 1..<(distance.width - 1) {
                let d = distance.storage[y * distance.width + x]
                guard d > best else { continue }
                let index = (y - 1) * width + (x - 1)
                if clicked.contains(index) { continue }
                best = d
                bestIndex = index
            }
        }
        return (bestIndex, best)
    }
}

/// Intersection over union of two masks of the same size, over the pixels not `ignored`
/// (1 when neither mask has any there).
public func intersectionOverUnion(_ a: Mask, _ b: Mask, ignoring ignored: Mask? = nil) -> Double {
    var intersection = 0, union = 0
    for index in 0..<a.count where ignored?.storage[index] != true {
        let p = a.storage[index], q = b.storage[index]
        if p && q { intersection += 1 }
        if p || q { union += 1 }
    }
    return union == 0 ? 1 : Double(intersection) / Double(union)
}
