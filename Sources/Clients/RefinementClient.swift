import Imaging
import Wire

/// Typed client of the refinement service.
public struct RefinementClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Starts training the refiner; returns the job's first status.
    public func train(_ request: Annotator_V1_RefinerTrainRequest) async throws(RPCError) -> Annotator_V1_JobStatus {
        try await rpc.unary("Train", request, options: CallOptions(timeout: .seconds(600)))
    }

    public var jobs: JobsClient { JobsClient(rpc: rpc) }

    /// Refines a batch of synthetic images; with `weights`, also returns Hou et al.'s
    /// importance weights (mean 1 over the batch).
    public func refine(_ images: [RGBImage], model: Annotator_V1_ArtifactRef, weights: Bool,
                       timeout: Duration = .seconds(600)) async throws(RPCError) -> (images: [RGBImage], weights: [Double]) {
        var request = Annotator_V1_RefineRequest()
        request.model = model
        request.images = images.map { Annotator_V1_Image($0) }
        request.weights = weights
        let response: Annotator_V1_RefineResponse = try await rpc.unary(
            "Refine", request, options: CallOptions(timeout: timeout, idempotent: true))
        guard response.images.count == images.count else {
            throw RPCError(.internal, "refine: sent \(images.count) images, got \(response.images.count) back")
        }
        var refined: [RGBImage] = []
        for (index, image) in response.images.enumerated() {
            refined.append(try image.rgbImage(field: "images[\(index)]"))
        }
        return (refined, response.weights)
    }
}
