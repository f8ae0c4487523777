import Dispatch
import Imaging
import Metrics
import Wire

/// The metrics service: `Evaluate` scores pairs of instance maps.
public enum MetricsService {
    public static let name = "metrics"

    /// Configuration of the service. Defaults suit a 2-core machine.
    public struct Configuration: Sendable {
        /// Pairs scored at once within one call. Default: the number of cores.
        public var parallelism: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// Pairs accepted in one call. Default 10,000.
        public var maxPairs: Int = 10_000

        public init() {}
    }

    public static func definition(_ configuration: Configuration = Configuration()) -> ServiceDefinition {
        var service = ServiceDefinition(name: name)
        service.method("Evaluate", idempotent: true) { (request: Annotator_V1_EvaluateRequest, context) in
            try evaluate(request, context: context, configuration: configuration)
        }
        return service
    }

    static func evaluate(_ request: Annotator_V1_EvaluateRequest, context: RequestContext,
                         configuration: Configuration) throws(RPCError) -> Annotator_V1_EvaluateResponse {
        guard !request.pairs.isEmpty else { throw .invalidArgument("pairs: nothing to evaluate") }
        guard request.pairs.count <= configuration.maxPairs else {
            throw .resourceExhausted("pairs: \(request.pairs.count) pairs, the limit per call is \(configuration.maxPairs)")
        }
        var maps: [(name: String, gt: LabelMap, pred: LabelMap)] = []
        for (index, pair) in request.pairs.enumerated() {
            let label = pair.name.isEmpty ? "pairs[\(index)]" : "pairs[\(index)] '\(pair.name)'"
            guard pair.hasGroundTruth else { throw .invalidArgument("\(label): ground_truth is missing") }
            guard pair.hasPrediction else { throw .invalidArgument("\(label): prediction is missing") }
            let gt = try pair.groundTruth.labelMap(in: context, field: "\(label).ground_truth")
            let pred = try pair.prediction.labelMap(in: context, field: "\(label).prediction")
            guard gt.sameSize(as: pred) else {
                throw .invalidArgument("\(label): ground truth is \(gt.width)×\(gt.height) but prediction is \(pred.width)×\(pred.height)")
            }
            maps.append((pair.name, gt, pred))
        }
        let scores = Scoring.scoreAll(maps.map { ($0.gt, $0.pred) }, parallelism: configuration.parallelism)
        var response = Annotator_V1_EvaluateResponse()
        response.images = zip(maps, scores).map { Annotator_V1_ImageScores($1, name: $0.name) }
        if let mean = SegmentationScores.mean(scores) {
            response.mean = Annotator_V1_ImageScores(mean, name: "mean")
        }
        response.scoredCount = UInt32(scores.filter(\.scored).count)
        return response
    }
}

/// Scores many pairs on several threads; sizes were checked by the caller.
enum Scoring {
    static func scoreAll(_ pairs: [(LabelMap, LabelMap)], parallelism: Int) -> [SegmentationScores] {
        let results = ResultSlots<SegmentationScores>(count: pairs.count)
        let workers = min(max(1, parallelism), pairs.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < pairs.count {
                let scores = (try? SegmentationMetrics.evaluate(groundTruth: pairs[index].0, prediction: pairs[index].1))
                    ?? .unscored
                results.set(index, scores)
                index += workers
            }
        }
        return results.values
    }
}

/// Slots written by index from several threads, each slot by one thread only.
final class ResultSlots<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return storage.map { $0! }
    }
}

extension Annotator_V1_ImageScores {
    init(_ scores: SegmentationScores, name: String) {
        self.init()
        self.name = name
        dice1 = scores.dice1
        dice2 = scores.dice2
        aji = scores.aji
        ajiPlus = scores.ajiPlus
        dq = scores.dq
        sq = scores.sq
        pq = scores.pq
        nGt = UInt32(scores.groundTruthCount)
        nPred = UInt32(scores.predictionCount)
        scored = scores.scored
    }
}

import Foundation
