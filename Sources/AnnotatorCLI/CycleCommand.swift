import ArgumentParser
import Foundation
import Clients
import Orchestration
import Orchestrator
import Project
import Wire

struct CycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "Inspect, continue or export an annotation project: status, resume, report, export, audit.",
        subcommands: [CycleStatus.self, CycleResume.self, CycleReportCommand.self, CycleExport.self, CycleAudit.self])
}

struct ProjectOption: ParsableArguments {
    @Option(help: "The project file (SQLite).")
    var project: String = "annotator-project.sqlite"

    func open() throws -> ProjectStore {
        guard FileManager.default.fileExists(atPath: project) else {
            throw CLIError("no project at \(project) (start one with `annotator run --project \(project)`)")
        }
        return try ProjectStore(path: project)
    }
}

struct CycleStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Completed steps and evaluated cycles of a project.")

    @OptionGroup var options: ProjectOption

    @Flag(help: "Print a JSON object.")
    var json = false

    @Option(help: "Orchestrator service endpoint: ask it about --project (a path on its file system).")
    var orchestrator: String?

    func run() async throws {
        if let orchestrator {
            let rpc = try RPCClient(endpoint: orchestrator)
            defer { rpc.close() }
            try RemoteOrchestration.printStatus(try await OrchestratorClient(rpc: rpc).status(project: options.project), json: json)
            return
        }
        let store = try options.open()
        let steps = try store.completedSteps()
        let report = try CycleReport(project: store)
        if json {
            struct Step: Encodable { let cycle: Int; let step: String; let seconds: Double }
            struct Status: Encodable { let steps: [Step]; let cycles: [CycleReport.Row]; let annotations: Int }
            try JSONOutput.print(Status(steps: steps.map { Step(cycle: $0.cycle, step: $0.name, seconds: $0.seconds) },
                                        cycles: report.cycles, annotations: try store.annotations().count))
            return
        }
        print("project: \(options.project)")
        if let last = steps.last {
            print("last completed step: cycle \(last.cycle), \(last.name)")
        } else {
            print("no step completed yet")
        }
        print("accepted annotations: \(try store.annotations().count)")
        print(report.table)
    }
}

struct CycleReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report (plots per metric, the table, overlays); --json prints the cycles.")

    @OptionGroup var options: ProjectOption

    @Option(help: "Folder for index.html (created if missing).")
    var out: String?

    @Flag(help: "Print a JSON object with `cycles` (one object per cycle).")
    var json = false

    func run() async throws {
        let store = try options.open()
        let report = try CycleReport(project: store)
        if let out {
            let page = try CycleExecution.writeReport(report, workspace: try RunSettings.load(from: store)?.workspace,
                                                      to: URL(fileURLWithPath: out))
            if !json { print("wrote \(page.path)") }
        }
        if json {
            try JSONOutput.print(report)
        } else if out == nil {
            print(report.table)
        }
    }
}

struct CycleResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a project's cycles after the last completed step, with the settings it was started with.")

    @OptionGroup var options: ProjectOption

    @OptionGroup var connection: CycleConnectionOptions

    @OptionGroup var annotation: AnnotatorOptions

    @Flag(help: "Print the cycles as JSON at the end.")
    var json = false

    func run() async throws {
        let store = try options.open()
        guard let settings = try RunSettings.load(from: store) else {
            throw CLIError("\(options.project) has no run settings: start it with `annotator run --project \(options.project)`")
        }
        let annotator = try annotation.choice(remembered: store)
        try annotator.remember(in: store)
        try await CycleExecution.run(settings: settings, store: store, connection: connection, json: json,
                                     person: CycleExecution.person(annotator, workspace: settings.workspace))
    }
}
