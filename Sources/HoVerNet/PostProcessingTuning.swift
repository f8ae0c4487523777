import Foundation
import Imaging

/// Chooses post-processing parameters for a trained model on labelled validation images:
/// the network runs once per image, then every candidate parameter set is applied to the
/// cached maps and scored with the project's metrics. The reference parameters were set on
/// the GPU model of the paper; a smaller model trained for an hour on a CPU draws softer HV
/// maps, and its best marker threshold differs (over-segmentation is the usual symptom).
public enum PostProcessingTuning {
    /// One candidate's image-wise mean scores.
    public struct Result: Sendable {
        public var parameters: PostProcessor.Parameters
        public var scores: ValidationScores
        public var instances: Int
    }

    /// The default search: foreground thresholds × marker (edge) thresholds × minimum areas
    /// (the reference's 10 and our default 30).
    public static func grid(foreground: [Float] = [0.4, 0.5, 0.6], edge: [Float] = [0.3, 0.4, 0.5, 0.6, 0.7],
                            minimumArea: [Int] = [10, 30]) -> [PostProcessor.Parameters] {
        var candidates: [PostProcessor.Parameters] = []
        for f in foreground {
            for e in edge {
                for a in minimumArea {
                    var parameters = PostProcessor.Parameters()
                    parameters.foregroundThreshold = f
                    parameters.edgeThreshold = e
                    parameters.minimumObjectArea = a
                    candidates.append(parameters)
                }
            }
        }
        return candidates
    }

    /// Scores every candidate on the validation pairs, best first (by mean Dice, AJI and PQ,
    /// the trainer's checkpoint criterion). `progress(done, total)` after each candidate.
    public static func evaluate(_ segmenter: HoVerNetSegmenter, on set: TrainingSet,
                                candidates: [PostProcessor.Parameters] = grid(),
                                progress: (Int, Int) -> Void = { _, _ in }) throws(HoVerNetError) -> [Result] {
        guard !candidates.isEmpty else { throw .invalidInput("no post-processing candidates to try") }
        var predictions: [HoVerNetPrediction] = []
        for pair in set.pairs { predictions.append(try segmenter.predict(pair.image)) }
        var results: [Result] = []
        for (index, parameters) in candidates.enumerated() {
            let processor = PostProcessor(parameters: parameters)
            var labels: [(labels: LabelMap, uncertainty: Double)] = []
            for prediction in predictions {
                labels.append((try processor.instances(probability: prediction.probability, horizontal: prediction.horizontal,
                                                       vertical: prediction.vertical), prediction.meanEntropy))
            }
            results.append(Result(parameters: parameters, scores: try ValidationScores.mean(over: set, labels),
                                  instances: labels.reduce(0) { $0 + $1.labels.instanceIDs.count }))
            progress(index + 1, candidates.count)
        }
        return results.sorted { $0.scores.score > $1.scores.score }
    }

    /// Scores the candidates for the model in `modelFile` and, when `write`, stores the best
    /// in that file (`Checkpoint.setPostProcessing`). Returns every result, best first.
    /// `flipAveraging` tunes for test-time augmentation (`HoVerNetSegmenter.flipAveraging`),
    /// whose averaged maps are smoother and may want other thresholds.
    @discardableResult
    public static func tune(modelFile: URL, on set: TrainingSet, candidates: [PostProcessor.Parameters] = grid(),
                            flipAveraging: Bool = false, write: Bool = true,
                            progress: (Int, Int) -> Void = { _, _ in }) throws(HoVerNetError) -> [Result] {
        let segmenter = try HoVerNetSegmenter(modelFile: modelFile)
        segmenter.flipAveraging = flipAveraging
        let results = try evaluate(segmenter, on: set, candidates: candidates, progress: progress)
        if write, let best = results.first { try Checkpoint.setPostProcessing(best.parameters, in: modelFile) }
        return results
    }
}
