import Imaging
import Metrics
import Wire

/// Scores of a set of images as the metrics service returns them.
public struct MetricsReport: Sendable {
    public var images: [(name: String, scores: SegmentationScores)]
    /// Image-wise mean over scored images; nil when none is scored.
    public var mean: SegmentationScores?

    public init(images: [(name: String, scores: SegmentationScores)], mean: SegmentationScores?) {
        self.images = images
        self.mean = mean
    }
}

/// Typed client of the metrics service.
public struct MetricsClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Scores each (name, ground truth, prediction). Maps travel as raw attachments.
    public func evaluate(_ pairs: [(name: String, groundTruth: LabelMap, prediction: LabelMap)],
                         timeout: Duration? = nil) async throws(RPCError) -> MetricsReport {
        var request = Annotator_V1_EvaluateRequest()
        var attachments: [Data] = []
        for pair in pairs {
            var message = Annotator_V1_MetricsPair()
            message.name = pair.name
            message.groundTruth = Self.attached(pair.groundTruth, name: pair.name, into: &attachments)
            message.prediction = Self.attached(pair.prediction, name: pair.name, into: &attachments)
            request.pairs.append(message)
        }
        let (response, _) = try await rpc.call("Evaluate", request, returning: Annotator_V1_EvaluateResponse.self,
                                                attachments: attachments,
                                                options: CallOptions(timeout: timeout, idempotent: true))
        let images = response.images.map { (name: $0.name, scores: SegmentationScores($0)) }
        return MetricsReport(images: images, mean: response.hasMean ? SegmentationScores(response.mean) : nil)
    }

    private static func attached(_ labels: LabelMap, name: String, into attachments: inout [Data]) -> Annotator_V1_LabelMap {
        var message = Annotator_V1_LabelMap()
        message.width = UInt32(labels.width)
        message.height = UInt32(labels.height)
        message.name = name
        attachments.append(labels.storage.withUnsafeBufferPointer { Data(buffer: $0) })
        message.attachment = UInt32(attachments.count)
        return message
    }
}

extension SegmentationScores {
    init(_ message: Annotator_V1_ImageScores) {
        self.init(dice1: message.dice1, dice2: message.dice2, aji: message.aji, ajiPlus: message.ajiPlus,
                  dq: message.dq, sq: message.sq, pq: message.pq, groundTruthCount: Int(message.nGt),
                  predictionCount: Int(message.nPred), scored: message.scored)
    }
}

import Foundation
