import Wire

/// Typed client of the synthesis service.
public struct SynthesisClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Makes pairs from a pool; with `output_path` set they are written there as a dataset.
    public func generate(_ request: Annotator_V1_SynthesisGenerateRequest,
                         timeout: Duration = .seconds(3600)) async throws(RPCError) -> Annotator_V1_SynthesisGenerateResponse {
        try await rpc.unary("Generate", request, options: CallOptions(timeout: timeout, idempotent: true))
    }
}
