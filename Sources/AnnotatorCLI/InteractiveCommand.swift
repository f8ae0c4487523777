import ArgumentParser

/// `annotator interactive ...`: the click-to-mask model without a service.
struct InteractiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Interactive nuclei segmentation (f-BRS): train, evaluate with the robot clicker, one-shot click.",
        subcommands: [InteractiveTrain.self, InteractiveEval.self, InteractiveClick.self, InteractivePoints.self])
}
