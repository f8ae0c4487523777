import ArgumentParser
import Foundation
import Orchestration
import Project

struct CycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "Inspect an annotation project: status and report of its cycles.",
        subcommands: [CycleStatus.self, CycleReportCommand.self])
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

    func run() async throws {
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
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let overlays = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("overlays").path))?
                .filter { $0.hasSuffix(".png") }.sorted() ?? []
            let page = report.html(images: overlays.map { (caption: $0, path: "overlays/\($0)") })
            try Data(page.utf8).write(to: folder.appendingPathComponent("index.html"), options: .atomic)
            if !json { print("wrote \(folder.appendingPathComponent("index.html").path)") }
        }
        if json {
            try JSONOutput.print(report)
        } else if out == nil {
            print(report.table)
        }
    }
}
