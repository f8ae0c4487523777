import ArgumentParser

struct HoVerNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hovernet",
        abstract: "HoVer-Net: train the automatic nuclei segmenter, tune its post-processing, or segment images with it.",
        subcommands: [HoVerNetTrain.self, HoVerNetInfer.self, HoVerNetTune.self])
}
