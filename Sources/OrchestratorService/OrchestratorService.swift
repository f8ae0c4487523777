import Dispatch
import Foundation
import Orchestration
import Orchestrator
import Project
import ServiceKit
import Wire

/// The orchestrator service: runs projects' cycles as jobs (`Run`) and reports on them
/// (`Status`). It reaches the other services only through the connection its host gives
/// it (remote endpoints, or services embedded in the same process).
public final class OrchestratorService: Sendable {
    public static let name = "orchestrator"

    public struct Configuration: Sendable {
        /// Connects a run to the services it needs, given the project's workspace (where
        /// embedded services keep their models).
        public var connect: @Sendable (Workspace) throws -> CycleConnection
        /// Runs at once (others queue). Default 1: training uses every core.
        public var maxRunningJobs = 1

        public init(connect: @escaping @Sendable (Workspace) throws -> CycleConnection) {
            self.connect = connect
        }
    }

    public let configuration: Configuration
    public let jobs: JobRegistry

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        jobs = JobRegistry(service: Self.name, maxRunning: configuration.maxRunningJobs)
    }

    public var definition: ServiceDefinition {
        var service = ServiceDefinition(name: Self.name)
        service.method("Run", idempotent: false) { (request: Annotator_V1_OrchestratorRunRequest, _) in
            try self.startRun(request)
        }
        service.method("Status", idempotent: true) { (request: Annotator_V1_OrchestratorStatusRequest, _) in
            try self.status(request)
        }
        jobs.register(into: &service)
        return service
    }

    func startRun(_ request: Annotator_V1_OrchestratorRunRequest) throws(RPCError) -> Annotator_V1_JobStatus {
        guard !request.project.isEmpty else { throw .invalidArgument("project: give the project file's path") }
        guard !request.pool.isEmpty else { throw .invalidArgument("pool: give the folder of real images") }
        var plan = CyclePlan()
        if !request.planJson.isEmpty {
            do {
                plan = try JSONDecoder().decode(CyclePlan.self, from: Data(request.planJson.utf8))
            } catch {
                throw .invalidArgument("plan_json: \(error)")
            }
        }
        // Check folders, plan and project now, so that a bad request fails at once.
        let prepared: (store: ProjectStore, settings: RunSettings)
        do {
            prepared = try ProjectSetup.prepare(project: request.project, pool: URL(fileURLWithPath: request.pool),
                                                evaluation: request.evaluation.isEmpty ? nil : URL(fileURLWithPath: request.evaluation), plan: plan,
                                                fresh: request.fresh)
        } catch let error as ProjectError {
            if case .conflict = error { throw .failedPrecondition("\(error)") }
            throw .internal("\(error)")
        } catch {
            throw .invalidArgument("\(error)")
        }
        let connect = configuration.connect
        return jobs.start { job in
            let (store, settings) = prepared
            let connection = try connect(settings.workspace)
            let total = Double(CycleStep.steps(ofCycle: 1).count + CycleStep.steps(ofCycle: 2).count * (settings.plan.cycles - 1))
            let report: @Sendable (String) -> Void = { line in
                let done = Double((try? store.completedSteps().count) ?? 0)
                job.report(fraction: done / total, message: line)
            }
            let stages = ServiceStages(services: connection.services, sources: settings.sources,
                                       workspace: settings.workspace, note: report)
            let runner = CycleRunner(plan: settings.plan, project: store, stages: stages, progress: report)
            let outcome = Self.blocking(isCancelled: { job.isCancelled }) {
                do {
                    let records = try await runner.run()
                    await connection.close()
                    return records
                } catch {
                    await connection.close()
                    throw error
                }
            }
            let records = try outcome.get()
            if job.isCancelled { throw JobCancelled() }
            var metrics: [String: Double] = [:]
            if let last = records.last {
                metrics = ["cycle": Double(last.number), "clicks": Double(last.clicks)]
                if let scores = last.scores {
                    metrics.merge(["dice1": scores.dice1, "aji": scores.aji, "aji_plus": scores.ajiPlus,
                                   "dq": scores.dq, "sq": scores.sq, "pq": scores.pq]) { $1 }
                }
            }
            return JobOutcome(message: "\(records.count) cycle(s) done", metrics: metrics)
        }
    }

    func status(_ request: Annotator_V1_OrchestratorStatusRequest) throws(RPCError) -> Annotator_V1_OrchestratorStatusResponse {
        guard !request.project.isEmpty else { throw .invalidArgument("project: give the project file's path") }
        guard FileManager.default.fileExists(atPath: request.project) else { throw .notFound("project: no project at \(request.project)") }
        do {
            let store = try ProjectStore(path: request.project)
            var response = Annotator_V1_OrchestratorStatusResponse()
            response.cycles = try CycleReport(project: store).cycles.map { row in
                var message = Annotator_V1_CycleRow()
                message.cycle = UInt32(row.cycle)
                if let scores = row.scores {
                    message.scored = true
                    (message.dice1, message.dice2, message.aji, message.ajiPlus) = (scores.dice1, scores.dice2, scores.aji, scores.ajiPlus)
                    (message.dq, message.sq, message.pq) = (scores.dq, scores.sq, scores.pq)
                }
                if let dice = row.proposal_dice, let aji = row.proposal_aji {
                    message.proposalScored = true
                    (message.proposalDice, message.proposalAji) = (dice, aji)
                }
                message.clicks = UInt32(row.clicks)
                message.annotatedNuclei = UInt32(row.annotated_nuclei)
                message.seconds = row.seconds
                return message
            }
            if let last = try store.completedSteps().last {
                response.lastStep = last.name
                response.lastStepCycle = UInt32(last.cycle)
            }
            response.annotations = UInt32(try store.annotations().count)
            if let settings = try RunSettings.load(from: store) {
                response.planJson = String(decoding: try JSONEncoder().encode(settings.plan), as: UTF8.self)
            }
            return response
        } catch {
            throw .internal("project \(request.project): \(error)")
        }
    }

    /// Runs async work from a job's thread, cancelling it when the job is cancelled.
    static func blocking<T: Sendable>(isCancelled: @escaping @Sendable () -> Bool,
                                      _ work: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let task = Task {
            do { box.set(.success(try await work())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        while done.wait(timeout: .now() + .seconds(1)) == .timedOut {
            if isCancelled() { task.cancel() }
        }
        return box.get()!
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, any Error>?
    func set(_ result: Result<T, any Error>) { lock.withLock { value = result } }
    func get() -> Result<T, any Error>? { lock.withLock { value } }
}
