import ArgumentParser
import Datasets
import Foundation
import Imaging
import Interactive
import Learning
import Metrics

/// `annotator interactive ...`: the click-to-mask model without a service.
struct InteractiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Interactive nuclei segmentation (f-BRS): train, evaluate with the robot clicker, one-shot click.",
        subcommands: [InteractiveTrain.self, InteractiveEval.self, InteractiveClick.self, InteractivePoints.self])
}

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

struct InteractiveEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "NoC@85/90 and mIoU after 1/3/5 clicks with the robot clicker (RITM/f-BRS protocol).",
        discussion: """
        Every nucleus of --gt (or a seeded sample of --max-nuclei) is annotated by the robot \
        clicker, up to 20 clicks. spc_ms is the predictor's wall time per click. \
        --boundary-tolerance N scores outlines within N px of the annotated one as exact: \
        those pixels count neither way and are never clicked (hand-drawn outlines are \
        uncertain by about a pixel); 0, the default, is the standard protocol.
        """)

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Folder of images.")
    var images: String
    @Option(help: "Folder of instance label maps (same base names).")
    var gt: String
    @Option(help: "Evaluate a seeded random sample of this many nuclei.")
    var maxNuclei: Int?
    @Flag(help: "Disable f-BRS (plain network predictions).")
    var noFbrs = false
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @Flag(help: "Print a JSON object.")
    var json = false
    @Option(help: "Also write per-nucleus results (JSON) here.")
    var details: String?
    @Option(help: "Pixels of outline disagreement forgiven (0 = the standard protocol).")
    var boundaryTolerance = 0
    @OptionGroup var tuning: PredictorTuning

    func validate() throws {
        guard (0...8).contains(boundaryTolerance) else {
            throw ValidationError("--boundary-tolerance \(boundaryTolerance): give 0…8 pixels")
        }
    }

    struct Output: Encodable {
        var nuclei: Int, fbrs: Bool, boundary_tolerance: Int
        var noc85, noc90, miou_at_1, miou_at_3, miou_at_5, failed85_fraction, spc_ms, p50_ms, p99_ms: Double
        var by_area: [AreaOutput]
    }

    struct AreaOutput: Encodable {
        var min_area: Int, max_area: Int?, nuclei: Int
        var noc85, noc90, miou_at_1: Double
    }

    func run() async throws {
        Threads.count = threads
        let paired = try PairedDataset(images: images, gt: gt)
        defer { paired.removeLinks() }
        let dataset = paired.dataset
        let predictor = try tuning.predictor(model: model)
        var options = NoCOptions()
        options.maxNuclei = maxNuclei
        options.useFBRS = !noFbrs
        options.boundaryTolerance = boundaryTolerance
        let report = try NoCEvaluation.evaluate(predictor: predictor, data: dataset, options: options) { done, total in
            if done % 50 == 0 || done == total { Console.note("\(done)/\(total) nuclei") }
        }
        if let details {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(report.perNucleus).write(to: URL(fileURLWithPath: details))
        }
        let output = Output(nuclei: report.nuclei, fbrs: !noFbrs, boundary_tolerance: boundaryTolerance, noc85: report.noc85, noc90: report.noc90, miou_at_1: report.miouAt1,
                            miou_at_3: report.miouAt3, miou_at_5: report.miouAt5, failed85_fraction: report.failed85Fraction,
                            spc_ms: report.spcMs, p50_ms: report.p50Ms, p99_ms: report.p99Ms,
                            by_area: report.byArea.map {
                                AreaOutput(min_area: $0.minimumArea, max_area: $0.maximumArea, nuclei: $0.nuclei,
                                           noc85: $0.noc85, noc90: $0.noc90, miou_at_1: $0.miouAt1)
                            })
        if json {
            try JSONOutput.print(output)
        } else {
            if boundaryTolerance > 0 { print("outlines within \(boundaryTolerance) px of the annotation scored as exact") }
            print(String(format: "%d nuclei, f-BRS %@: NoC@85 %.2f  NoC@90 %.2f  mIoU@1/3/5 %.3f/%.3f/%.3f  failed@85 %.1f%%  %.1f ms/click (p50 %.1f, p99 %.1f)",
                         report.nuclei, noFbrs ? "off" : "on", report.noc85, report.noc90, report.miouAt1, report.miouAt3,
                         report.miouAt5, report.failed85Fraction * 100, report.spcMs, report.p50Ms, report.p99Ms))
            for group in report.byArea {
                let range = group.maximumArea.map { "\(group.minimumArea)–\($0) px" } ?? "\(group.minimumArea)+ px"
                print(String(format: "  area %@: %d nuclei, NoC@85 %.2f  NoC@90 %.2f  mIoU@1 %.3f",
                             range, group.nuclei, group.noc85, group.noc90, group.miouAt1))
            }
        }
    }
}

/// A FolderDataset view of two separate folders (images, label maps): links them into a
/// temporary images/ + instance_masks/ layout when they are not already one.
/// `removeLinks()` deletes that layout — the two links and their folder, never what the
/// links point to.
struct PairedDataset {
    let dataset: FolderDataset
    private let linkFolder: URL?

    init(images: String, gt: String) throws {
        let imageURL = URL(fileURLWithPath: images).standardizedFileURL, gtURL = URL(fileURLWithPath: gt).standardizedFileURL
        for (option, url) in [("--images", imageURL), ("--gt", gtURL)] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("\(option): no folder at \(url.path)")
            }
        }
        let parent = imageURL.deletingLastPathComponent()
        if imageURL.lastPathComponent == "images", gtURL == parent.appendingPathComponent("instance_masks").standardizedFileURL {
            dataset = try FolderDataset(root: parent)
            linkFolder = nil
            return
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-eval-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        do {
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("images"), withDestinationURL: imageURL)
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("instance_masks"), withDestinationURL: gtURL)
            dataset = try FolderDataset(root: root)
        } catch {
            Self.removeLinks(in: root)
            throw error
        }
        linkFolder = root
    }

    func removeLinks() {
        if let linkFolder { Self.removeLinks(in: linkFolder) }
    }

    private static func removeLinks(in folder: URL) {
        for name in ["images", "instance_masks"] { unlink(folder.appendingPathComponent(name).path) }
        rmdir(folder.path)
    }
}

struct InteractiveClick: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "click",
        abstract: "Segment one object from clicks and write its mask (PNG, 0/255).",
        discussion: "Clicks are applied in order, as a person would: --click 120,88,+ --click 131,90,-")

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Image (PNG, TIFF or JPEG).")
    var image: String
    @Option(name: .customLong("click"), help: "x,y,+ or x,y,- (repeatable).")
    var clicks: [String]
    @Option(help: "Output mask PNG.")
    var out: String
    @Flag(help: "Disable f-BRS.")
    var noFbrs = false
    @Flag(help: "Print the mask's summary as JSON on standard output.")
    var json = false
    @OptionGroup var tuning: PredictorTuning

    /// What `--json` prints: the mask written and how the last click was predicted.
    struct Summary: Encodable {
        var out: String
        var clicks: Int
        var area: Int
        var meanProbability: Float
        /// Bounding box of the mask, `[x0, y0, x1, y1)` image pixels; nil for an empty mask.
        var bbox: [Int]?
        /// The last click's zoom-in window, `[x, y, side]` image pixels.
        var window: [Int]
        var fbrsIterations: Int

        enum CodingKeys: String, CodingKey {
            case out, clicks, area, bbox, window
            case meanProbability = "mean_probability"
            case fbrsIterations = "fbrs_iterations"
        }
    }

    func run() async throws {
        let parsed = try clicks.map { text -> Click in
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 3, let x = Int(parts[0]), let y = Int(parts[1]), parts[2] == "+" || parts[2] == "-" else {
                throw CLIError("--click \(text): expected x,y,+ or x,y,-")
            }
            return Click(x: x, y: y, positive: parts[2] == "+")
        }
        guard !parsed.isEmpty else { throw CLIError("give at least one --click") }
        let predictor = try tuning.predictor(model: model) { $0.useFBRS = !noFbrs }
        let session = InteractiveSession(image: try ImageFiles.readRGB(URL(fileURLWithPath: image)), predictor: predictor)
        var outcome: InteractiveSession.ClickOutcome?
        for click in parsed { outcome = try session.click(click) }
        let last = outcome!, mask = last.mask
        let raster = try Raster(width: mask.width, height: mask.height, channels: 1, samples: .uint8(mask.storage.map { $0 ? 255 : 0 }))
        try ImageFiles.write(raster, to: URL(fileURLWithPath: out))
        if json {
            try JSONOutput.print(Summary(out: out, clicks: parsed.count, area: last.area, meanProbability: last.meanProbability,
                                         bbox: mask.boundingBox.map { [$0.x0, $0.y0, $0.x1, $0.y1] },
                                         window: [last.window.x, last.window.y, last.window.size], fbrsIterations: last.fbrsIterations))
        } else {
            Console.note(String(format: "%d pixels, mean probability %.3f", last.area, last.meanProbability))
        }
    }
}

/// `annotator bench interactive`: per-click latency with f-BRS and zoom-in, one session.
struct BenchInteractive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Per-click latency of the interactive predictor (robot clicks on test nuclei).",
        discussion: """
        Uses --model, or an untrained network of the default architecture when absent (latency \
        only; f-BRS then runs its full iteration budget more often, so that is pessimistic). \
        With --sessions N (default 8), the same robot clicks also go through the interactive \
        service from N sessions at once (keys p50_ms_8_sessions, p99_ms_8_sessions and \
        clicks_per_s_8_sessions for N = 8).
        """)

    @Option(help: "Model (.safetensors).")
    var model: String?
    @Option(help: "Folder dataset with nuclei to click on.")
    var data = "../shared/data/monuseg/test"
    @Option(help: "Nuclei to annotate (up to 20 clicks each, robot clicker).")
    var nuclei = 40
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @Option(help: "Concurrent sessions through the service (0 = skip).")
    var sessions = 8
    @Option(help: "Nuclei each concurrent session annotates (up to 5 clicks each).")
    var nucleiPerSession = 8
    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        Threads.count = threads
        let predictor = if let model {
            try InteractivePredictor(modelFile: URL(fileURLWithPath: model))
        } else {
            InteractivePredictor(network: InteractiveNetwork())
        }
        var options = NoCOptions()
        options.maxNuclei = nuclei
        let start = ContinuousClock.now
        let report = try NoCEvaluation.evaluate(predictor: predictor, data: FolderDataset(root: URL(fileURLWithPath: data)),
                                                options: options)
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let clicks = report.perNucleus.reduce(0) { $0 + $1.clicks }
        let results = ["p50_ms": report.p50Ms, "p99_ms": report.p99Ms, "mean_ms": report.spcMs,
                       "clicks": Double(clicks), "clicks_per_s": Double(clicks) / max(seconds, 1e-9),
                       "parameters": Double(predictor.network.parameterCount)]
        var all = results
        if sessions > 0 {
            let file: URL
            if let model {
                file = URL(fileURLWithPath: model)
            } else {
                file = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-bench-untrained-\(UUID().uuidString.prefix(8)).safetensors")
                try ModelFile.save(predictor.network, to: file)
            }
            defer { if self.model == nil { try? FileManager.default.removeItem(at: file) } }
            let figures = try await InteractiveSessionsBench.run(model: file, data: try FolderDataset(root: URL(fileURLWithPath: data)),
                                                                  sessions: sessions, nucleiPerSession: nucleiPerSession, clicksPerNucleus: 5)
            all["p50_ms_\(sessions)_sessions"] = figures.p50Ms
            all["p99_ms_\(sessions)_sessions"] = figures.p99Ms
            all["clicks_per_s_\(sessions)_sessions"] = figures.clicksPerSecond
            all["clicks_\(sessions)_sessions"] = Double(figures.clicks)
        }
        if json {
            try JSONOutput.print(all)
        } else {
            print(String(format: "%d clicks: p50 %.1f ms, p99 %.1f ms, mean %.1f ms per click", clicks, report.p50Ms, report.p99Ms, report.spcMs))
            if sessions > 0 {
                print(String(format: "%d sessions through the service: p50 %.1f ms, p99 %.1f ms per click, %.1f clicks/s in all",
                             sessions, all["p50_ms_\(sessions)_sessions"]!, all["p99_ms_\(sessions)_sessions"]!,
                             all["clicks_per_s_\(sessions)_sessions"]!))
            }
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
        if let clickRadius { c.clickRadius = clickRadius }
        do { try c.validate() } catch { throw ValidationError("architecture: \(error)") }
        return c
    }
}

/// Zoom-in and f-BRS settings shared by the commands that predict (defaults: PredictorOptions).
struct PredictorTuning: ParsableArguments {
    @Option(help: "Window side (image px) around a first click. (default: the model's training windows)")
    var firstWindow: Int?
    @Option(help: "Later windows: bbox of mask and positive clicks times this.")
    var expansion: Double?
    @Option(help: "Smallest window side (image px). (default: the model's training windows)")
    var minWindow: Int?
    @Option(help: "f-BRS L2 weight on the scale/bias deviations.")
    var fbrsLambda: Double?
    @Option(help: "f-BRS: radius (network px) of the enforced disk around each click.")
    var fbrsRadius: Double?
    @Option(help: "Probability threshold of the mask.")
    var threshold: Float?
    @Flag(inversion: .prefixedNo, help: "Keep only the mask's parts connected to a positive click.")
    var clickedComponentsOnly = PredictorOptions().clickedComponentsOnly
    @Flag(inversion: .prefixedNo, help: "Predict a second time in the window the first prediction's mask calls for, when it differs.")
    var refocus = PredictorOptions().refocus

    /// Loads `model` once and predicts with the defaults at its training windows, the options
    /// given, then `adjust`.
    func predictor(model: String, adjust: (inout PredictorOptions) -> Void = { _ in }) throws -> InteractivePredictor {
        let (network, metadata) = try ModelFile.load(URL(fileURLWithPath: model))
        var options = self.options(base: PredictorOptions(trainedWith: metadata.zoom))
        adjust(&options)
        return InteractivePredictor(network: network, options: options)
    }

    private func options(base: PredictorOptions) -> PredictorOptions {
        var options = base
        if let firstWindow { options.firstClickWindow = firstWindow }
        if let expansion { options.expansion = expansion }
        if let minWindow { options.minimumWindow = minWindow }
        if let fbrsLambda { options.fbrs.regularization = fbrsLambda }
        if let fbrsRadius { options.fbrs.clickRadius = fbrsRadius }
        if let threshold { options.threshold = threshold }
        options.clickedComponentsOnly = clickedComponentsOnly
        options.refocus = refocus
        return options
    }
}

struct InteractivePoints: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Multi-nucleus mode: one click at each ground-truth nucleus's centre of a crop → instance map; AJI and time.",
        discussion: """
        For each image of --gt, the centred --crop × --crop region; the click of a nucleus is its \
        innermost pixel (as the robot's first click). Nuclei cut by the crop border count too.
        """)

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Folder of images.")
    var images: String
    @Option(help: "Folder of instance label maps (same base names).")
    var gt: String
    @Option(help: "Crop side.")
    var crop = 256
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @OptionGroup var tuning: PredictorTuning
    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        Threads.count = threads
        let paired = try PairedDataset(images: images, gt: gt)
        defer { paired.removeLinks() }
        let dataset = paired.dataset
        let predictor = try tuning.predictor(model: model)
        var ajis: [Double] = [], times: [Double] = []
        for sample in dataset.samples {
            let pair = try dataset.load(sample)
            let side = min(crop, pair.image.width, pair.image.height)
            let rect = CropRect(x: (pair.image.width - side) / 2, y: (pair.image.height - side) / 2, width: side, height: side)
            let cropped = try Crops.crop(pair, rect)
            var points: [(x: Int, y: Int)] = []
            for id in cropped.labels.instanceIDs {
                let mask = cropped.labels.map { $0 == id }
                let distance = DistanceTransform.euclidean(mask)
                let index = distance.storage.indices.max { distance.storage[$0] < distance.storage[$1] }!
                points.append((index % side, index / side))
            }
            let start = ContinuousClock.now
            let labels = try predictor.segmentPoints(image: cropped.image, points: points)
            times.append((ContinuousClock.now - start).milliseconds)
            let scores = try SegmentationMetrics.evaluate(groundTruth: cropped.labels, prediction: labels)
            ajis.append(scores.aji)
            Console.note(String(format: "%@: %d nuclei, AJI %.3f, %.0f ms", sample.name, points.count, scores.aji, times.last!))
        }
        let result = ["aji": ajis.reduce(0, +) / Double(max(ajis.count, 1)), "ms_mean": times.reduce(0, +) / Double(max(times.count, 1)),
                      "ms_max": times.max() ?? 0, "images": Double(ajis.count)]
        if json {
            try JSONOutput.print(result)
        } else {
            print(String(format: "%d crops of %d px: AJI %.3f, %.0f ms mean, %.0f ms max", ajis.count, crop, result["aji"]!,
                         result["ms_mean"]!, result["ms_max"]!))
        }
    }
}
