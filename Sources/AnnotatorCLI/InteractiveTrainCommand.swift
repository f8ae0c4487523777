import ArgumentParser
import Datasets
import Foundation
import Interactive
import Learning

struct InteractiveTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the click-conditioned network with simulated clicks on a folder dataset.",
        discussion: """
        DATA holds images/ and instance_masks/ (synthetic pairs, accepted annotations or ground \
        truth). The model is checkpointed to --out (atomically) while training, Adam's moments to \
        OUT's .optimizer.safetensors; --resume continues from both, --init warm-starts from \
        another model of the same architecture.

        The architecture options default to the built-in configuration (~0.16 M parameters, sized \
        for 2 cores) or, with --init or --resume, to the architecture stored in that model.
        """)

    @Option(help: "Folder dataset (images/ + instance_masks/).")
    var data: String
    @Option(help: "Output model (.safetensors).")
    var out: String
    @Option(help: "Optimiser steps.")
    var steps: Int?
    @Option(help: "Time budget in minutes (instead of or as well as --steps).")
    var minutes: Double?
    @Option(help: "Warm-start weights.")
    var `init`: String?
    @Flag(help: "Continue from --out if it exists.")
    var resume = false
    @Option(help: "Seed for weights and sampling.")
    var seed: UInt64 = 0
    @Option(name: [.customLong("batch"), .customLong("batch-size")], help: "Windows per step.")
    var batchSize = InteractiveTrainingOptions().batchSize
    @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: "Peak learning rate (Adam, cosine decay).")
    var learningRate = InteractiveTrainingOptions().learningRate
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @OptionGroup(title: "Architecture")
    var architecture: InteractiveArchitecture
    @Option(help: "Corrective clicks simulated per step: 0…N, the network's own prediction fed back as the previous mask.")
    var maxExtraClicks = InteractiveTrainingOptions().maxExtraClicks
    @Option(help: "Share of windows (0…1) whose target outline is grown, shrunk or shifted by 1…--target-jitter-pixels px, so that the corrective clicks, not the image, tell where it lies.")
    var targetJitter = InteractiveTrainingOptions().targetOutlineJitter
    @Option(help: "Largest outline move of --target-jitter, in network pixels.")
    var targetJitterPixels = InteractiveTrainingOptions().targetOutlineJitterPixels
    @Option(help: "Per-pixel loss: bce, or nfl (RITM's normalised focal loss, γ = --focal-gamma); soft Dice × --dice-weight is added.")
    var loss = PixelLossName.bce
    @Option(help: "γ of the normalised focal loss. (default: \(F.defaultFocalGamma))")
    var focalGamma: Float?
    @Option(help: "Weight of the soft Dice term (0 = none).")
    var diceWeight = InteractiveTrainingOptions().diceWeight
    @Option(help: "Training windows around a first click: this side (image px) ± 12; stored in the model, which predicts with it. (default: \(PredictorOptions().firstClickWindow), or the --init/--resume model's)")
    var firstWindow: Int?
    @Option(help: "Training windows around a nucleus: at least this side (image px); stored in the model. (default: \(PredictorOptions().minimumWindow), or the --init/--resume model's)")
    var minWindow: Int?
    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard maxExtraClicks >= 0 else { throw ValidationError("--max-extra-clicks must be 0 or more") }
        guard (0...1).contains(targetJitter) else { throw ValidationError("--target-jitter must be 0…1") }
        guard (1...4).contains(targetJitterPixels) else { throw ValidationError("--target-jitter-pixels must be 1…4") }
        guard (focalGamma ?? 0) >= 0, diceWeight >= 0 else { throw ValidationError("--focal-gamma and --dice-weight must be 0 or more") }
        if loss != .nfl && focalGamma != nil { throw ValidationError("--focal-gamma applies to --loss nfl only") }
        if let firstWindow, firstWindow < 24 { throw ValidationError("--first-window must be at least 24 image pixels") }
        if let minWindow, !(8...PredictorOptions().maximumWindow).contains(minWindow) {
            throw ValidationError("--min-window must be 8…\(PredictorOptions().maximumWindow) image pixels")
        }
    }

    func run() async throws {
        Threads.count = threads
        let dataset = try FolderDataset(root: URL(fileURLWithPath: data))
        var options = InteractiveTrainingOptions()
        options.steps = steps
        options.timeBudget = minutes.map { $0 * 60 }
        if steps == nil && minutes == nil { options.steps = 2000 }
        options.seed = seed
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.maxExtraClicks = maxExtraClicks
        options.targetOutlineJitter = targetJitter
        options.targetOutlineJitterPixels = targetJitterPixels
        options.loss = loss.pixelLoss(gamma: focalGamma ?? F.defaultFocalGamma)
        options.diceWeight = diceWeight
        options.checkpoint = URL(fileURLWithPath: out)
        options.resume = resume
        options.initialWeights = self.`init`.map { URL(fileURLWithPath: $0) }
        let storedMetadata = try options.startingModel.map { try ModelFile.metadata(of: $0) }
        let configuration = try architecture.configuration(base: storedMetadata?.configuration ?? .init())
        var zoom = storedMetadata.map { PredictorOptions(trainedWith: $0.zoom) } ?? PredictorOptions()
        if let firstWindow { zoom.firstClickWindow = firstWindow }
        if let minWindow { zoom.minimumWindow = minWindow }
        let (network, summary) = try InteractiveTrainer.train(configuration: configuration, data: dataset, options: options,
                                                              predictorOptions: zoom, progress: { p in
            Console.note(String(format: "step %d%@  loss %.4f  %.0f s", p.step, p.totalSteps.map { "/\($0)" } ?? "", p.loss, p.elapsed))
        })
        if json {
            try JSONOutput.print(summary)
        } else {
            print("\(summary.steps) steps in \(Int(summary.seconds)) s, final loss \(summary.finalLoss), "
                  + "\(network.parameterCount) parameters, \(summary.nuclei) nuclei; saved \(out)")
        }
    }
}

enum PixelLossName: String, ExpressibleByArgument, CaseIterable {
    case bce, nfl

    func pixelLoss(gamma: Float) -> InteractivePixelLoss {
        switch self {
        case .bce: .binaryCrossEntropy
        case .nfl: .normalizedFocal(gamma: gamma)
        }
    }
}

/// Architecture of a network to train; unset options keep the base configuration's values.
struct InteractiveArchitecture: ParsableArguments {
    @Option(help: "Side of the network input in pixels (multiple of 4).")
    var inputSize: Int?
    @Option(help: "Channels of the 1/2-resolution stream.")
    var highChannels: Int?
    @Option(help: "Channels of the 1/4-resolution stream.")
    var lowChannels: Int?
    @Option(help: "HRNet-style stages after the stem.")
    var stages: Int?
    @Option(help: "Residual blocks per stream in each stage.")
    var blocksPerStage: Int?
    @Option(help: "Channels of the segmentation head.")
    var headChannels: Int?
    @Option(help: "Channels of the full-resolution image branch refining the head's logits (0 = none, logits at 1/2 resolution).")
    var detailChannels: Int?
    @Option(help: "Click disk radius in network-input pixels.")
    var clickRadius: Double?

    func configuration(base: InteractiveModelConfiguration) throws -> InteractiveModelConfiguration {
        var c = base
        if let inputSize { c.inputSize = inputSize }
        if let highChannels { c.highChannels = highChannels }
        if let lowChannels { c.lowChannels = lowChannels }
        if let stages { c.stages = stages }
        if let blocksPerStage { c.blocksPerStage = blocksPerStage }
        if let headChannels { c.headChannels = headChannels }
        if let detailChannels { c.detailChannels = detailChannels }
        if let clickRadius { c.clickRadius = clickRadius }
        do { try c.validate() } catch { throw ValidationError("architecture: \(error)") }
        return c
    }
}
