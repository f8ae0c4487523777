import Foundation
import Imaging
import Wire

/// Typed client of the HoVerNet service.
public struct HoVerNetClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Starts training; returns the job's first status.
    public func train(_ request: Annotator_V1_HoVerNetTrainRequest) async throws(RPCError) -> Annotator_V1_JobStatus {
        try await rpc.unary("Train", request, options: CallOptions(timeout: .seconds(600)))
    }

    /// GetJob, CancelJob and polling for this service's jobs.
    public var jobs: JobsClient { JobsClient(rpc: rpc) }

    /// Segments one image with a model the service holds (or can read at `model.uri`).
    public func infer(_ image: RGBImage, name: String = "", model: Annotator_V1_ArtifactRef,
                      timeout: Duration = .seconds(120)) async throws(RPCError)
        -> (labels: LabelMap, uncertainty: Double, types: [UInt32: UInt8]) {
        var request = Annotator_V1_HoVerNetInferRequest()
        request.model = model
        request.image = Annotator_V1_Image(image, name: name)
        let response: Annotator_V1_HoVerNetInferResponse = try await rpc.unary(
            "Infer", request, options: CallOptions(timeout: timeout, idempotent: true))
        return (try response.instances.labelMap(field: "instances"), response.uncertainty,
                response.instanceTypes.mapValues { UInt8(clamping: $0) })
    }
}
