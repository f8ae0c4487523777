import ArgumentParser
import Foundation
import Orchestrator
import Project

enum AnnotatorKind: String, ExpressibleByArgument, CaseIterable {
    case simulated
    case person
}

/// Who annotates the crops a cycle chooses; unset, whoever the project last ran with.
struct AnnotatorOptions: ParsableArguments {
    @Option(help: "Who annotates the chosen crops: simulated (the robot clicker) or person (you, at this terminal; see `annotator annotate --help` for the commands). Default: whoever the project last ran with, else simulated.")
    var annotator: AnnotatorKind?

    @Option(help: "Your name, recorded with your annotations (with --annotator person). Default: the name the project last ran with, else $USER.")
    var annotatorName: String?

    /// The annotator these options name, completed from the one `project` remembers.
    func choice(remembered project: ProjectStore?) throws -> AnnotatorChoice {
        let stored = try project.flatMap { try AnnotatorChoice.stored(in: $0) }
        var storedName: String?
        if case let .person(name) = stored { storedName = name }
        let kind = annotator ?? (storedName == nil ? .simulated : .person)
        guard kind == .person else { return .simulated }
        return .person(name: annotatorName ?? storedName ?? ProcessInfo.processInfo.environment["USER"] ?? "annotator")
    }
}

extension CycleExecution {
    /// The person at this terminal, when a person annotates.
    static func person(_ choice: AnnotatorChoice, workspace: Workspace) -> PersonAtTerminal? {
        guard case let .person(name) = choice else { return nil }
        return person(named: name, workspace: workspace)
    }
}
