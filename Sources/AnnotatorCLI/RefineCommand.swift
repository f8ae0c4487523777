import ArgumentParser
import Datasets
import Foundation
import Imaging
import Refinement

struct RefineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Train the SimGAN refiner on synthetic vs real patches, and refine synthetic datasets.",
        subcommands: [RefineTrain.self, RefineApply.self])
}

struct RefineTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train refiner R and discriminator D alternately; MODEL is a safetensors checkpoint.",
        discussion: """
        R minimises −log(1 − D(R(x))) + λ‖R(x) − x‖₁; D sees real pool patches vs refined patches, \
        half of them from a history of earlier refinements. MODEL is rewritten atomically every \
        --checkpoint-every steps (both optimisers' moments beside it, in MODEL's \
        .optimizer.safetensors); --resume continues from it.
        """)

    @Option(help: "Pool of real unannotated images.")
    var pool: String

    @Option(help: "Synthetic dataset folder (from `synth generate`).")
    var synthetic: String

    @Option(help: "Model file to write (safetensors).")
    var out: String

    @Option(help: "Wall-clock budget in minutes.")
    var minutes: Double?

    @Option(help: "Number of alternating steps (default \(RefineTrain.defaultSteps) when --minutes is not given).")
    var steps: Int?

    @Option(help: "Seed of the initial weights and of the patch draws.")
    var seed: UInt64 = 1

    @Option(help: "Self-regularisation weight λ.")
    var lambda: Float = 0.5

    @Option(help: "Learning rate of the refiner (Adam).")
    var refinerLr: Float = 1e-4

    @Option(help: "Learning rate of the discriminator (Adam).")
    var discriminatorLr: Float = 1e-4

    @Option(help: "Checkpoint every N steps.")
    var checkpointEvery = 100

    @Flag(help: "Continue from OUT when it exists.")
    var resume = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    static let defaultSteps = 1500

    func run() async throws {
        let outURL = URL(fileURLWithPath: out)
        var configuration = RefinerTrainer.Configuration()
        configuration.seed = seed
        configuration.lambda = lambda
        configuration.refinerLearningRate = refinerLr
        configuration.discriminatorLearningRate = discriminatorLr
        let real = try ImageFolder.load(URL(fileURLWithPath: pool))
        let dataset = try FolderDataset(root: URL(fileURLWithPath: synthetic), requireMasks: false)
        let fakes = try dataset.samples.map { try dataset.loadImage($0) }
        let model = resume && FileManager.default.fileExists(atPath: outURL.path)
            ? try RefinerModel.load(from: outURL) : RefinerModel(architecture: configuration.architecture, seed: seed)
        var options = RefinerTrainer.Options(steps: steps ?? (minutes == nil ? Self.defaultSteps : nil), minutes: minutes, checkpoint: outURL)
        options.checkpointEvery = checkpointEvery
        let heldOutReal = try Self.patches(real, count: 64, seed: seed &+ 101)
        let heldOutFake = try Self.patches(fakes, count: 64, seed: seed &+ 202)
        let quiet = json
        let summary = try RefinerTrainer.train(
            model: model, configuration: configuration, pool: real, synthetic: fakes, options: options,
            progress: { p in
                if !quiet && p.step % 25 == 0 {
                    Console.note(String(format: "step %d: R adv %.3f L1 %.4f | D loss %.3f acc %.2f | %.0f s", p.step,
                                        p.refinerAdversarialLoss, p.refinerRegularisationLoss, p.discriminatorLoss,
                                        p.discriminatorAccuracy, p.elapsedSeconds))
                }
            })
        let accuracy = try RefinerTrainer.discriminatorAccuracy(model: model, real: heldOutReal, synthetic: heldOutFake)
        if json {
            struct Summary: Encodable {
                let model: String, steps: Int, total_steps: Int, minutes: Double, held_out_discriminator_accuracy: Double
                let refiner_adversarial_loss: Float?, discriminator_loss: Float?
            }
            try JSONOutput.print(Summary(model: out, steps: summary.steps, total_steps: model.step, minutes: summary.seconds / 60,
                                         held_out_discriminator_accuracy: accuracy,
                                         refiner_adversarial_loss: summary.last?.refinerAdversarialLoss,
                                         discriminator_loss: summary.last?.discriminatorLoss))
        } else {
            print(String(format: "trained %d steps in %.1f min → %@ (held-out D accuracy %.3f)", summary.steps,
                         summary.seconds / 60, out, accuracy))
        }
    }

    /// Fixed held-out patches (64×64, one random crop per draw).
    static func patches(_ images: [RGBImage], count: Int, seed: UInt64) throws -> [RGBImage] {
        var rng = RefinementRandom(seed: seed)
        let usable = images.filter { $0.width >= 64 && $0.height >= 64 }
        guard !usable.isEmpty else { throw CLIError("no image of at least 64×64") }
        return (0..<count).map { _ in
            let image = usable.randomElement(using: &rng)!
            return Crops.crop(image, CropRect(x: Int.random(in: 0...(image.width - 64), using: &rng),
                                              y: Int.random(in: 0...(image.height - 64), using: &rng), width: 64, height: 64))
        }
    }
}

struct RefineApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Refine every image of a synthetic dataset into a new dataset (masks copied unchanged).",
        discussion: "Writes weights.json (importance weights c·D/(1−D), mean 1) unless --no-weights. OUT must not exist.")

    @Option(help: "Model file from `refine train`.")
    var model: String

    @Option(help: "Synthetic dataset folder.")
    var synthetic: String

    @Option(help: "Output dataset folder (must not exist).")
    var out: String

    @Flag(inversion: .prefixedNo, help: "Write importance weights.")
    var weights = true

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        let loaded = try RefinerModel.load(from: URL(fileURLWithPath: model))
        let start = ContinuousClock.now
        let report = try Refiner.apply(model: loaded, synthetic: URL(fileURLWithPath: synthetic), out: URL(fileURLWithPath: out),
                                       weights: weights, progress: { done, total in
                                           if !json && done % 50 == 0 { Console.note("\(done)/\(total)") }
                                       })
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        if json {
            struct Summary: Encodable { let out: String; let images: Int; let seconds: Double; let weights_min: Double?; let weights_max: Double? }
            try JSONOutput.print(Summary(out: out, images: report.images, seconds: seconds,
                                         weights_min: report.weights.values.min(), weights_max: report.weights.values.max()))
        } else {
            print(String(format: "refined %d images in %.1f s → %@", report.images, seconds, out))
        }
    }
}
