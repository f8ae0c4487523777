import Clients
import Wire
import ArgumentParser
import Foundation
import HoVerNet
import Imaging

struct HoVerNetTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a HoVer-Net on a folder dataset (images/ + instance_masks/).",
        discussion: """
        Writes the best model (by mean validation Dice, AJI and PQ; the latest when there is no \
        validation set) to OUT, and the resume state (latest weights + step) to OUT's \
        .last.safetensors. Progress goes to standard error; --json prints a summary on \
        standard output. Give --steps, --minutes or both (whichever ends first). A folder \
        with weights.json (importance weights, e.g. from `refine apply`) is sampled by weight.
        """)

    @Option(help: "Training folder (images/ + instance_masks/).")
    var data: String

    @Option(help: "Validation folder; without it, --hold-out images of --data are held out.")
    var val: String?

    @Option(help: "Images of --data held out for validation when --val is absent (0 = no validation).")
    var holdOut = 0

    @Option(help: "Model file to write (.safetensors).")
    var out: String

    @Option(help: "Time budget in minutes.")
    var minutes: Double?

    @Option(help: "Optimiser steps.")
    var steps: Int?

    @Option(help: "Warm start from this model (same architecture).")
    var `init`: String?

    @Option(help: "Resume from this state (e.g. OUT's .last.safetensors): weights and step.")
    var resume: String?

    @Option(help: "Seed of weights, patches and augmentations.")
    var seed: UInt64 = 0

    @Option(name: [.customLong("batch"), .customLong("batch-size")], help: "Patches per step.")
    var batch = TrainingOptions().batchSize

    @Option(help: "Patch side (pixels).")
    var patch = TrainingOptions().patchSize

    @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: "Peak learning rate (Adam, cosine decay).")
    var lr = TrainingOptions().learningRate

    @Option(help: "Validate and checkpoint every N steps.")
    var validateEvery = TrainingOptions().validationEvery

    @Option(help: "Probability of an elastic deformation per patch.")
    var elastic = AugmentationOptions().elasticProbability

    @Option(help: "HED jitter: ± relative scale of each stain density.")
    var hedScale = AugmentationOptions().hedScale

    @Option(help: "HED jitter: ± shift of each stain density (rgb2hed units; nuclei are ~0.05).")
    var hedShift = AugmentationOptions().hedShift

    @Option(help: "RGB jitter: ± relative brightness, contrast, saturation, comma-separated (torchvision ColorJitter; 0 = off).")
    var colorJitter = { let a = AugmentationOptions(); return "\(a.brightness),\(a.contrast),\(a.saturation)" }()

    @Option(help: "Loss weights: NP cross-entropy, NP Dice, HV MSE, HV gradient-MSE, comma-separated.")
    var lossWeights = { let w = LossWeights(); return "\(w.crossEntropy),\(w.dice),\(w.mse),\(w.msge)" }()

    @Option(help: "Nuclear type classes including background (adds an NC head trained on the folder's type_maps/; 0 = none).")
    var types = HoVerNetConfiguration().typeClasses

    @Option(help: "Encoder widths, comma-separated (architecture).")
    var widths = HoVerNetConfiguration().widths.map(String.init).joined(separator: ",")

    @Option(help: "3×3 conv layers per decoder level (architecture; 2 costs about 20 % more FLOPs).")
    var decoderConvs = HoVerNetConfiguration().decoderConvs

    @Option(help: "Print a progress line every N steps.")
    var logEvery = 10

    @Flag(help: "Draw samples uniformly even when the folder has importance weights (weights.json).")
    var ignoreSampleWeights = false

    @Flag(help: "After training, tune the best model's post-processing on the validation images (as `hovernet tune --write`).")
    var tune = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    @Option(help: "HoVerNet service endpoint: train there as a job (paths must be readable by the service) and copy the model to --out.")
    var endpoint: String?

    func validate() throws {
        if tune, val == nil, holdOut <= 0 { throw ValidationError("--tune needs validation images: --val DIR or --hold-out N") }
        if tune, endpoint != nil { throw ValidationError("--tune runs in-process; tune a service-trained model with `hovernet tune`") }
        if resume != nil, endpoint != nil { throw ValidationError("--resume reads a local state file: resume in-process, without --endpoint") }
    }

    func run() async throws {
        guard steps != nil || minutes != nil else { throw CLIError("give --steps, --minutes or both") }
        var configuration = HoVerNetConfiguration()
        configuration.widths = try widths.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)) else { throw CLIError("--widths: '\($0)' is not a number") }
            return value
        }
        configuration.typeClasses = types
        configuration.decoderConvs = decoderConvs
        try configuration.validate()
        let options = try trainingOptions()
        if let endpoint {
            try await trainRemotely(endpoint: endpoint, configuration: configuration, options: options)
            return
        }
        var train = try TrainingSet.load(folder: URL(fileURLWithPath: data), sampleWeightsFile: !ignoreSampleWeights)
        var validation: TrainingSet?
        if let val {
            validation = try TrainingSet.load(folder: URL(fileURLWithPath: val))
        } else if holdOut > 0 {
            guard holdOut < train.pairs.count else { throw CLIError("--hold-out \(holdOut) leaves no training images") }
            let parts = try train.split(holdingOutEvenly: holdOut)
            train = parts.train
            validation = parts.heldOut
        }
        Console.note("hovernet: \(train.pairs.count) training image(s)"
            + (validation.map { ", validating on \($0.names.joined(separator: " "))" } ?? ", no validation set"))
        let logEvery = max(1, self.logEvery)
        let summary = try HoVerNetTrainer.train(configuration: configuration, data: train, validation: validation, options: options,
                                                progress: { report in
            switch report.event {
            case .step:
                guard report.step % logEvery == 0 || report.step == 1 else { return }
                Console.note(String(format: "step %d/%d  loss %.4f (avg %.4f; ce %.3f dice %.3f mse %.3f msge %.3f)  lr %.2e  %.2f it/s  %.1f patches/s  ETA %@",
                                    report.step, report.totalSteps, report.loss, report.smoothedLoss, report.terms.crossEntropy,
                                    report.terms.dice, report.terms.mse, report.terms.msge, report.learningRate,
                                    report.iterationsPerSecond, report.patchesPerSecond, Self.clock(report.etaSeconds)))
            case .validation:
                if let v = report.validation {
                    Console.note(String(format: "validation at step %d: Dice %.4f  AJI %.4f  PQ %.4f  uncertainty %.4f  (best score %.4f)",
                                        report.step, v.dice, v.aji, v.pq, v.uncertainty, report.best?.score ?? v.score))
                }
            case .checkpoint:
                Console.note("saved \(report.checkpoint?.path ?? "?") at step \(report.step)")
            }
        })
        if tune, let validation, let output = summary.output {
            Console.note("hovernet: tuning post-processing on \(validation.names.count) validation image(s)")
            if let best = try PostProcessingTuning.tune(modelFile: output, on: validation).first {
                Console.note(String(format: "hovernet: post-processing foreground %.2f, edge %.2f, min area %d (validation Dice %.4f AJI %.4f PQ %.4f)",
                                    best.parameters.foregroundThreshold, best.parameters.edgeThreshold, best.parameters.minimumObjectArea,
                                    best.scores.dice, best.scores.aji, best.scores.pq))
            }
        }
        if json {
            struct Summary: Encodable {
                let stop_reason: String, steps: Int, seconds: Double, patches_per_s: Double, final_loss: Double
                let best_step: Int?, dice: Double?, aji: Double?, pq: Double?, output: String?, parameters: Int, gflops_per_256: Double
            }
            try JSONOutput.print(Summary(stop_reason: summary.stopReason.rawValue, steps: summary.steps, seconds: summary.seconds,
                                         patches_per_s: summary.patchesPerSecond, final_loss: Double(summary.finalLoss),
                                         best_step: summary.bestStep, dice: summary.best?.dice, aji: summary.best?.aji, pq: summary.best?.pq,
                                         output: summary.output?.path, parameters: summary.parameters, gflops_per_256: summary.gflopsPer256))
        } else {
            print(String(format: "trained %d steps in %@ (%.1f patches/s, %@)", summary.steps, Self.clock(summary.seconds),
                         summary.patchesPerSecond, summary.stopReason.rawValue)
                + (summary.best.map { String(format: "; best validation at step %d: Dice %.4f AJI %.4f PQ %.4f", summary.bestStep ?? 0, $0.dice, $0.aji, $0.pq) } ?? "")
                + " → \(summary.output?.path ?? "(nothing written)")")
        }
    }

    /// The options of the command line, for training here or as a service's job.
    func trainingOptions() throws -> TrainingOptions {
        var options = TrainingOptions(steps: steps, minutes: minutes, output: URL(fileURLWithPath: out))
        options.seed = seed
        options.batchSize = batch
        options.patchSize = patch
        options.learningRate = lr
        options.validationEvery = validateEvery
        options.augmentation.elasticProbability = elastic
        options.augmentation.hedScale = hedScale
        options.augmentation.hedShift = hedShift
        let jitter = try NumberList.parse(colorJitter, option: "--color-jitter", count: 3)
        (options.augmentation.brightness, options.augmentation.contrast, options.augmentation.saturation) = (jitter[0], jitter[1], jitter[2])
        let weights = try NumberList.parse(lossWeights, option: "--loss-weights", count: 4)
        options.lossWeights = LossWeights(crossEntropy: weights[0], dice: weights[1], mse: weights[2], msge: weights[3])
        options.initialModel = self.`init`.map { URL(fileURLWithPath: $0) }
        options.resume = resume.map { URL(fileURLWithPath: $0) }
        return options
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

extension HoVerNetTrain {
    /// Runs the training as a job of a HoVerNet service, printing its progress.
    func trainRemotely(endpoint: String, configuration: HoVerNetConfiguration, options: TrainingOptions) async throws {
        var request = Annotator_V1_HoVerNetTrainRequest()
        request.data.path = URL(fileURLWithPath: data).standardizedFileURL.path
        if let val {
            request.validation.path = URL(fileURLWithPath: val).standardizedFileURL.path
        } else {
            request.holdOut = UInt32(max(0, holdOut))
        }
        request.steps = UInt32(steps ?? 0)
        request.minutes = minutes ?? 0
        request.setRecipe(options)
        request.ignoreSampleWeights = ignoreSampleWeights
        request.configurationJson = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        if let initial = self.`init` { request.initModel = try RemoteModels.reference(forFile: initial, kind: "hovernet-model") }
        let rpc = try RPCClient(endpoint: endpoint)
        defer { rpc.close() }
        let client = HoVerNetClient(rpc: rpc)
        let started = try await client.train(request)
        Console.note("hovernet: job \(started.jobID) started on \(endpoint)")
        var lastStep: UInt64 = 0
        let ended = try await client.jobs.wait(started.jobID, every: .seconds(2)) { status in
            if status.step != lastStep, !status.message.isEmpty {
                lastStep = status.step
                Console.note(status.message)
            }
        }
        guard ended.state == .succeeded else {
            throw CLIError("training job \(ended.jobID) ended \(ended.state): \(ended.message)")
        }
        let source = URL(fileURLWithPath: ended.result.uri)
        if FileManager.default.fileExists(atPath: source.path) {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(at: source, to: URL(fileURLWithPath: out))
            Console.note("hovernet: model \(ended.result.sha256) copied to \(out)")
        } else {
            Console.note("hovernet: model \(ended.result.sha256) is in the service's store (\(ended.result.uri))")
        }
        if json {
            struct Remote: Encodable { let job: String; let sha256: String; let metrics: [String: Double] }
            try JSONOutput.print(Remote(job: ended.jobID, sha256: ended.result.sha256, metrics: ended.metrics))
        }
    }
}
