import Foundation
import Synchronization
import Wire

/// What a job's work reports when it ends well.
public struct JobOutcome: Sendable {
    public var result: Annotator_V1_ArtifactRef?
    public var message: String
    public var metrics: [String: Double]

    public init(result: Annotator_V1_ArtifactRef? = nil, message: String = "", metrics: [String: Double] = [:]) {
        self.result = result
        self.message = message
        self.metrics = metrics
    }
}

/// Thrown by work that noticed its job was cancelled.
public struct JobCancelled: Error, Sendable {
    public init() {}
}

/// Handed to a job's work: report progress, notice cancellation.
public final class JobHandle: Sendable {
    public let id: String
    private let registry: JobRegistry

    init(id: String, registry: JobRegistry) {
        self.id = id
        self.registry = registry
    }

    public var isCancelled: Bool { registry.isCancelRequested(id) }

    /// Throws `JobCancelled` when the job was cancelled.
    public func checkCancelled() throws {
        if isCancelled { throw JobCancelled() }
    }

    public func report(step: Int, totalSteps: Int, loss: Double? = nil, message: String = "",
                       metrics: [String: Double] = [:]) {
        registry.update(id) { job in
            job.status.step = UInt64(max(0, step))
            job.status.totalSteps = UInt64(max(0, totalSteps))
            if totalSteps > 0 { job.status.progress = min(1, Double(step) / Double(totalSteps)) }
            if let loss { job.status.loss = loss }
            if !message.isEmpty { job.status.message = message }
            for (key, value) in metrics { job.status.metrics[key] = value }
        }
    }

    /// Progress as a fraction when steps are not the natural unit (e.g. a time budget).
    public func report(fraction: Double, message: String = "") {
        registry.update(id) { job in
            job.status.progress = min(1, max(0, fraction))
            if !message.isEmpty { job.status.message = message }
        }
    }
}

/// Jobs of one service: long work (training) that a call starts and later calls poll or
/// cancel. Work runs on its own thread, not on Swift's cooperative pool, since it is
/// CPU-bound for minutes. At most `maxRunning` jobs run at once; the rest wait, queued.
public final class JobRegistry: Sendable {
    public typealias Work = @Sendable (JobHandle) throws -> JobOutcome

    struct Job {
        var status: Annotator_V1_JobStatus
        var work: Work?
        var cancelRequested = false
        var started: ContinuousClock.Instant?
        var finished: ContinuousClock.Instant?
        var waiters: [CheckedContinuation<Annotator_V1_JobStatus, Never>] = []
    }

    private let jobs = Mutex<(table: [String: Job], order: [String])>(([:], []))
    public let maxRunning: Int
    private let prefix: String

    public init(service: String, maxRunning: Int = 1) {
        self.maxRunning = max(1, maxRunning)
        self.prefix = service
    }

    /// Queues work; returns its status at once (QUEUED or RUNNING).
    public func start(_ work: @escaping Work) -> Annotator_V1_JobStatus {
        let id = "\(prefix)-\(UUID().uuidString.lowercased().prefix(12))"
        var status = Annotator_V1_JobStatus()
        status.jobID = id
        status.state = .queued
        jobs.withLock { jobs in
            jobs.table[id] = Job(status: status, work: work)
            jobs.order.append(id)
        }
        startQueued()
        return (try? self.status(id)) ?? status
    }

    public func status(_ id: String) throws(RPCError) -> Annotator_V1_JobStatus {
        guard let status = jobs.withLock({ jobs in jobs.table[id].map { Self.snapshot($0) } }) else {
            throw .notFound("job '\(id)' does not exist on this service")
        }
        return status
    }

    public func list() -> [Annotator_V1_JobStatus] {
        jobs.withLock { jobs in jobs.order.compactMap { jobs.table[$0].map(Self.snapshot) } }
    }

    /// Requests cancellation. A queued job ends at once; a running one when its work
    /// next checks. Cancelling a finished job changes nothing.
    @discardableResult
    public func cancel(_ id: String) throws(RPCError) -> Annotator_V1_JobStatus {
        let (found, finishedNow) = jobs.withLock { jobs -> (Bool, [CheckedContinuation<Annotator_V1_JobStatus, Never>]?) in
            guard var job = jobs.table[id] else { return (false, nil) }
            switch job.status.state {
            case .queued:
                job.status.state = .cancelled
                job.status.message = "cancelled before it started"
                job.work = nil
                let waiters = job.waiters
                job.waiters = []
                jobs.table[id] = job
                return (true, waiters)
            case .running:
                job.cancelRequested = true
                jobs.table[id] = job
                return (true, nil)
            default:
                return (true, nil)
            }
        }
        guard found else { throw .notFound("job '\(id)' does not exist on this service") }
        let status = try self.status(id)
        finishedNow?.forEach { $0.resume(returning: status) }
        return status
    }

    /// Waits until the job has ended (succeeded, failed or cancelled).
    public func wait(_ id: String) async throws(RPCError) -> Annotator_V1_JobStatus {
        _ = try status(id)
        return await withCheckedContinuation { continuation in
            let ended: Annotator_V1_JobStatus? = jobs.withLock { jobs in
                guard var job = jobs.table[id] else { return nil }
                if [.succeeded, .failed, .cancelled].contains(job.status.state) { return Self.snapshot(job) }
                job.waiters.append(continuation)
                jobs.table[id] = job
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Adds GetJob, CancelJob and ListJobs to a service.
    public func register(into service: inout ServiceDefinition) {
        service.method("GetJob", idempotent: true) { (request: Annotator_V1_GetJobRequest, _) in
            try self.status(request.jobID)
        }
        service.method("CancelJob", idempotent: true) { (request: Annotator_V1_CancelJobRequest, _) in
            try self.cancel(request.jobID)
        }
        service.method("ListJobs", idempotent: true) { (_: Annotator_V1_ListJobsRequest, _) in
            var response = Annotator_V1_ListJobsResponse()
            response.jobs = self.list()
            return response
        }
    }

    // MARK: - Internals

    func isCancelRequested(_ id: String) -> Bool {
        jobs.withLock { $0.table[id]?.cancelRequested ?? false }
    }

    func update(_ id: String, _ change: (inout Job) -> Void) {
        jobs.withLock { jobs in
            guard var job = jobs.table[id] else { return }
            change(&job)
            jobs.table[id] = job
        }
    }

    private func startQueued() {
        let toStart: [(String, Work)] = jobs.withLock { jobs in
            var running = jobs.table.values.filter { $0.status.state == .running }.count
            var starting: [(String, Work)] = []
            for id in jobs.order where running < maxRunning {
                guard var job = jobs.table[id], job.status.state == .queued, let work = job.work else { continue }
                job.status.state = .running
                job.started = .now
                job.work = nil
                jobs.table[id] = job
                starting.append((id, work))
                running += 1
            }
            return starting
        }
        for (id, work) in toStart {
            let handle = JobHandle(id: id, registry: self)
            let thread = Thread { [self] in
                let outcome: Result<JobOutcome, any Error> = Result { try work(handle) }
                finish(id, outcome)
            }
            thread.name = "job-\(id)"
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    private func finish(_ id: String, _ outcome: Result<JobOutcome, any Error>) {
        let (status, waiters) = jobs.withLock { jobs -> (Annotator_V1_JobStatus?, [CheckedContinuation<Annotator_V1_JobStatus, Never>]) in
            guard var job = jobs.table[id] else { return (nil, []) }
            job.finished = .now
            switch outcome {
            case let .success(result):
                job.status.state = .succeeded
                job.status.progress = 1
                if let artifact = result.result { job.status.result = artifact }
                if !result.message.isEmpty { job.status.message = result.message }
                for (key, value) in result.metrics { job.status.metrics[key] = value }
            case let .failure(error) where error is JobCancelled:
                job.status.state = .cancelled
                job.status.message = "cancelled; the last good checkpoint is kept"
            case let .failure(error):
                job.status.state = .failed
                job.status.message = "\(error)"
            }
            let waiters = job.waiters
            job.waiters = []
            jobs.table[id] = job
            return (Self.snapshot(job), waiters)
        }
        if let status { waiters.forEach { $0.resume(returning: status) } }
        startQueued()
    }

    private static func snapshot(_ job: Job) -> Annotator_V1_JobStatus {
        var status = job.status
        if let started = job.started {
            let end = job.finished ?? .now
            status.elapsedSeconds = (end - started).inSeconds
            if status.state == .running, status.progress > 0.001 {
                status.etaSeconds = status.elapsedSeconds * (1 - status.progress) / status.progress
            }
        }
        return status
    }
}
