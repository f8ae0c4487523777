import Imaging
import Metrics

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
            var dice = 0.0, aji = 0.0, pq = 0.0, uncertainty = 0.0, instances = 0
            for (pair, prediction) in zip(set.pairs, predictions) {
                let labels = try processor.instances(probability: prediction.probability, horizontal: prediction.horizontal,
                                                     vertical: prediction.vertical)
                let scores: SegmentationScores
                do {
                    scores = try SegmentationMetrics.evaluate(groundTruth: pair.labels, prediction: labels)
                } catch {
                    throw .metrics("\(error)")
                }
                dice += scores.dice1; aji += scores.aji; pq += scores.pq
                uncertainty += prediction.meanEntropy
                instances += labels.instanceIDs.count
            }
            let n = Double(set.pairs.count)
            results.append(Result(parameters: parameters,
                                  scores: ValidationScores(dice: dice / n, aji: aji / n, pq: pq / n, uncertainty: uncertainty / n),
                                  instances: instances))
            progress(index + 1, candidates.count)
        }
        return results.sorted { $0.scores.score > $1.scores.score }
    }
}
