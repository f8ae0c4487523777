import ArgumentParser
import Clients
import Foundation
import Orchestration
import OrchestratorService
import Project
import Wire

/// `annotator run --orchestrator ENDPOINT`: the cycle runs in the orchestrator service; this
/// process starts it and follows its progress.
enum RemoteOrchestration {
    static func run(endpoint: String, project: String, pool: URL, evaluation: URL?, plan: CyclePlan, fresh: Bool,
                    json: Bool) async throws {
        let rpc = try RPCClient(endpoint: endpoint)
        defer { rpc.close() }
        let client = OrchestratorClient(rpc: rpc)
        var request = Annotator_V1_OrchestratorRunRequest()
        request.project = URL(fileURLWithPath: project).standardizedFileURL.path
        request.pool = pool.path
        request.evaluation = evaluation?.path ?? ""
        request.planJson = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        request.fresh = fresh
        let started = try await client.run(request)
        Console.note("orchestrator job \(started.jobID) on \(endpoint)")
        var lastMessage = ""
        let ended = try await client.jobs.wait(started.jobID, every: .seconds(2)) { status in
            if status.message != lastMessage, !status.message.isEmpty {
                lastMessage = status.message
                Console.note(String(format: "[%3.0f%%] %@", 100 * status.progress, status.message))
            }
        }
        guard ended.state == .succeeded else {
            throw CLIError("the orchestrator's run \(ended.state == .cancelled ? "was cancelled" : "failed"): \(ended.message)")
        }
        let status = try await client.status(project: request.project)
        try printStatus(status, json: json)
    }

    /// Prints a remote project's cycles exactly as `cycle status` prints a local one.
    static func printStatus(_ status: Annotator_V1_OrchestratorStatusResponse, json: Bool) throws {
        let report = CycleReport(cycles: status.cycles.map {
            CycleReport.Row(cycle: Int($0.cycle),
                            scores: $0.scored ? CycleScores(dice1: $0.dice1, dice2: $0.dice2, aji: $0.aji, ajiPlus: $0.ajiPlus,
                                                            dq: $0.dq, sq: $0.sq, pq: $0.pq) : nil,
                            clicks: Int($0.clicks), annotated_nuclei: Int($0.annotatedNuclei), seconds: $0.seconds,
                            proposal: $0.proposalScored ? ($0.proposalDice, $0.proposalAji) : nil)
        })
        if json {
            try JSONOutput.print(report)
            return
        }
        print(report.table)
        print("last completed step: cycle \(status.lastStepCycle), \(status.lastStep); accepted annotations: \(status.annotations)")
    }
}

struct ServeOrchestrator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Serve the orchestrator (Run a project's cycles as a job, Status, GetJob/CancelJob/ListJobs).",
        discussion: """
        Runs cycles against the services named with --endpoint SERVICE=URL (repeat for more \
        instances); services not named run inside this process. Drive it with \
        `annotator run --orchestrator ENDPOINT` and `annotator cycle status --orchestrator ENDPOINT`.
        """)

    @OptionGroup var options: ServeOptions

    @OptionGroup var connection: CycleConnectionOptions

    func run() async throws {
        let remote = try connection.parsed()
        let service = OrchestratorService(OrchestratorService.Configuration { workspace in
            try CycleExecution.connect(remote: remote, workspace: workspace)
        })
        try await ServiceHost.run(service.definition, configuration: options.serverConfiguration)
    }
}
