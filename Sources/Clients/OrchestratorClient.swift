import Wire

/// Typed client of the orchestrator service.
public struct OrchestratorClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Starts (or resumes) a project's cycles; returns the job's first status.
    public func run(_ request: Annotator_V1_OrchestratorRunRequest) async throws(RPCError) -> Annotator_V1_JobStatus {
        try await rpc.unary("Run", request, options: CallOptions(timeout: .seconds(600)))
    }

    public func status(project: String) async throws(RPCError) -> Annotator_V1_OrchestratorStatusResponse {
        var request = Annotator_V1_OrchestratorStatusRequest()
        request.project = project
        return try await rpc.unary("Status", request, options: .idempotent)
    }

    public var jobs: JobsClient { JobsClient(rpc: rpc) }
}
