import Wire

/// The job calls every training service answers (GetJob, CancelJob), and polling a job
/// until it ends. A job lives on the instance that started it, so use the client (or
/// endpoint) that started it.
public struct JobsClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    public func job(_ id: String) async throws(RPCError) -> Annotator_V1_JobStatus {
        var request = Annotator_V1_GetJobRequest()
        request.jobID = id
        return try await rpc.unary("GetJob", request, options: .idempotent)
    }

    public func cancel(_ id: String) async throws(RPCError) -> Annotator_V1_JobStatus {
        var request = Annotator_V1_CancelJobRequest()
        request.jobID = id
        return try await rpc.unary("CancelJob", request, options: .idempotent)
    }

    /// Polls a job until it ends, reporting each status. A cancelled wait cancels the job.
    public func wait(_ id: String, every interval: Duration = .seconds(1),
                     progress: (Annotator_V1_JobStatus) -> Void = { _ in }) async throws(RPCError) -> Annotator_V1_JobStatus {
        while true {
            let status = try await job(id)
            progress(status)
            if [.succeeded, .failed, .cancelled].contains(status.state) { return status }
            do {
                try await Task.sleep(for: interval)
            } catch {
                _ = try? await cancel(id)
                throw RPCError(.cancelled, "waiting for job \(id) cancelled")
            }
        }
    }

    /// Waits for a job and returns its result artifact, or throws with the job's message.
    public func result(of started: Annotator_V1_JobStatus, every interval: Duration = .seconds(1),
                       progress: (Annotator_V1_JobStatus) -> Void = { _ in }) async throws(RPCError) -> Annotator_V1_ArtifactRef {
        let status = try await wait(started.jobID, every: interval, progress: progress)
        guard status.state == .succeeded else {
            throw RPCError(.internal, "job \(status.jobID) \(status.state == .cancelled ? "was cancelled" : "failed"): \(status.message)")
        }
        guard status.hasResult else { throw RPCError(.internal, "job \(status.jobID) succeeded without a result") }
        return status.result
    }
}
