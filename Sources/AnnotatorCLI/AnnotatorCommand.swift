import ArgumentParser

@available(macOS 10.15, *)
struct AnnotatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotator",
        abstract: "Label-efficient nuclei segmentation for H&E images.",
        discussion: """
        Services talk over ZeroMQ with protobuf messages. Every command that uses a service \
        runs it in-process unless --endpoint names a running one (see `annotator serve`).
        """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self,
            AnnotateCommand.self,
            ServeCommand.self,
            HealthCommand.self,
            InfoCommand.self,
            MetricsCommand.self,
            DatasetCommand.self,
            BaselineCommand.self,
            CycleCommand.self,
            HoVerNetCommand.self,
            InteractiveCommand.self,
            SynthCommand.self,
            RefineCommand.self,
            BenchCommand.self,
        ])
}
