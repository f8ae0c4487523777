import Datasets
import Foundation
import Imaging
import Learning

/// Settings of a training run. Either `steps` or `timeBudget` (or both) bound the run; the
/// learning rate follows a cosine from `learningRate` to 0 over whichever ends first.
public struct InteractiveTrainingOptions: Sendable {
    public var steps: Int? = 2000
    /// Seconds; a time-bounded run is not step-for-step reproducible, a step-bounded one is.
    public var timeBudget: Double?
    public var batchSize = 16
    public var learningRate: Float = 1e-3
    public var warmupSteps = 100
    /// RITM's iterative sampling: before each step, 0…N corrective clicks are simulated
    /// with the current network and its prediction is fed back as the previous mask.
    public var maxExtraClicks = 3
    /// Share of windows whose target outline is grown, shrunk or shifted by 1…
    /// `targetOutlineJitterPixels` network px (`OutlinePerturbation`), so that the image
    /// alone no longer tells where the outline is and the corrective clicks do — as on real
    /// nuclei, whose annotated outlines stray about a pixel from the stain. Without it a
    /// network trained on crisp synthetic outlines learns to follow the image and all but
    /// ignore later clicks.
    public var targetOutlineJitter: Float = 1
    public var targetOutlineJitterPixels = 2
    /// The per-pixel loss; soft Dice × `diceWeight` is added to it.
    public var loss = InteractivePixelLoss.binaryCrossEntropy
    public var diceWeight: Float = 1
    public var seed: UInt64 = 0
    /// Where checkpoints go (atomically), every `checkpointEvery` steps and at the end.
    public var checkpoint: URL?
    public var checkpointEvery = 250
    /// Continue from `checkpoint` (weights and step count) when it exists.
    public var resume = false
    /// Warm start from these weights (same architecture).
    public var initialWeights: URL?

    public init() {}

    /// Whether the run continues `checkpoint` (asked to resume, and it exists).
    public var resumesCheckpoint: Bool {
        resume && checkpoint.map { FileManager.default.fileExists(atPath: $0.path) } == true
    }

    /// The weights the run starts from, if any: the checkpoint it resumes, else `initialWeights`.
    public var startingModel: URL? { resumesCheckpoint ? checkpoint : initialWeights }
}

/// The per-pixel part of the training loss.
public enum InteractivePixelLoss: Sendable, Equatable {
    case binaryCrossEntropy
    /// RITM's normalised focal loss (normaliser detached) with this γ.
    case normalizedFocal(gamma: Float)

    func evaluate(logits: Tensor, targets: Tensor) throws(LearningError) -> Tensor {
        switch self {
        case .binaryCrossEntropy: try F.bceWithLogits(logits, targets)
        case .normalizedFocal(let gamma): try F.normalizedFocalLoss(logits, targets, gamma: gamma)
        }
    }
}

public struct InteractiveTrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int?
    /// Mean loss over the last `window` steps.
    public var loss: Double
    public var elapsed: Double
    /// 0…1 of the run (steps or time, whichever is further along).
    public var fraction: Double
}

public struct InteractiveTrainingSummary: Sendable, Codable {
    public var steps: Int
    public var finalLoss: Double
    public var seconds: Double
    public var parameters: Int
    public var nuclei: Int
}

/// Trains the click-conditioned network with simulated clicks from any folder dataset
/// (synthetic pairs, accepted annotations or ground truth).
public enum InteractiveTrainer {
    public static func train(configuration: InteractiveModelConfiguration = .init(), data: FolderDataset,
                             options: InteractiveTrainingOptions, predictorOptions: PredictorOptions = .init(),
                             progress: (InteractiveTrainingProgress) -> Void = { _ in },
                             isCancelled: () -> Bool = { false }) throws(InteractiveError) -> (InteractiveNetwork, InteractiveTrainingSummary) {
        try configuration.validate()
        guard options.steps != nil || options.timeBudget != nil else {
            throw .invalidArgument("a training run needs a step count or a time budget")
        }
        guard options.batchSize >= 2 else { throw .invalidArgument("batch size must be at least 2 (batch norm)") }
        guard (0...1).contains(options.targetOutlineJitter), options.targetOutlineJitterPixels >= 1 else {
            throw .invalidArgument("target outline jitter: a share of 0…1 and at least 1 pixel")
        }
        var pairs: [LabeledImage] = []
        for sample in data.samples {
            do { pairs.append(try data.load(sample)) } catch { throw .dataset(error) }
        }
        let input = NetworkInput(configuration: configuration)
        let sampler = try TrainingSampler(pairs: pairs, input: input, options: predictorOptions)
        let network = InteractiveNetwork(configuration: configuration, seed: options.seed)
        var startStep = 0
        if let start = options.startingModel {
            try ModelFile.loadWeights(into: network, from: start)
            if options.resumesCheckpoint { startStep = try ModelFile.metadata(of: start).steps }
        }
        // A resumed run draws fresh samples rather than replaying the first ones.
        var generator = SeededRandom(seed: options.seed &+ UInt64(startStep) &* 0x9E37_79B9)
        let optimiser = Adam(parameters: network.parameters(), learningRate: options.learningRate)
        if startStep > 0, let checkpoint = options.checkpoint {
            // Moments of the same step, when the sidecar has them; otherwise they restart.
            OptimizerSidecar.restore(["adam": optimiser], step: startStep, from: checkpoint)
        }
        /// The optimiser's sidecar first, then the model: a crash in between leaves a
        /// sidecar of a newer step, which a resume ignores.
        func saveCheckpoint(_ checkpoint: URL) throws(InteractiveError) {
            try engine { () throws(LearningError) in try OptimizerSidecar.save(["adam": optimiser], step: step, nextTo: checkpoint) }
            try ModelFile.save(network, to: checkpoint, steps: step, seed: options.seed, zoom: TrainingZoom(predictorOptions))
        }
        let clock = ContinuousClock(), started = clock.now
        var recent: [Double] = []
        var step = startStep
        func elapsed() -> Double { let d = clock.now - started; return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        func fraction() -> Double {
            max(options.steps.map { Double(step) / Double(max($0, 1)) } ?? 0, options.timeBudget.map { elapsed() / $0 } ?? 0)
        }
        while fraction() < 1 {
            if isCancelled() {
                if let checkpoint = options.checkpoint { try saveCheckpoint(checkpoint) }
                throw .cancelled
            }
            let warm = min(1, Float(step + 1) / Float(max(options.warmupSteps, 1)))
            optimiser.learningRate = options.learningRate * warm * Float(0.5 * (1 + cos(Double.pi * min(fraction(), 1))))
            let loss = try engine { () throws(LearningError) in
                try trainingStep(network: network, sampler: sampler, input: input, options: options, optimiser: optimiser,
                                 generator: &generator)
            }
            step += 1
            recent.append(loss)
            if recent.count > 50 { recent.removeFirst() }
            if step % 10 == 0 {
                progress(InteractiveTrainingProgress(step: step, totalSteps: options.steps, loss: recent.reduce(0, +) / Double(recent.count),
                                                     elapsed: elapsed(), fraction: min(1, fraction())))
            }
            if let checkpoint = options.checkpoint, step % options.checkpointEvery == 0 { try saveCheckpoint(checkpoint) }
        }
        network.setTraining(false)
        if let checkpoint = options.checkpoint { try saveCheckpoint(checkpoint) }
        let summary = InteractiveTrainingSummary(steps: step, finalLoss: recent.isEmpty ? 0 : recent.reduce(0, +) / Double(recent.count),
                                                 seconds: elapsed(), parameters: network.parameterCount, nuclei: sampler.instances.count)
        return (network, summary)
    }

    /// One optimiser step: sample windows, simulate corrective clicks with the current
    /// network (eval mode, no gradients, as RITM does), then BCE + Dice on the final pass.
    static func trainingStep<G: RandomNumberGenerator>(network: InteractiveNetwork, sampler: TrainingSampler, input: NetworkInput,
                                                       options: InteractiveTrainingOptions, optimiser: Adam,
                                                       generator: inout G) throws(LearningError) -> Double {
        let size = input.size, plane = size * size
        let samples = (0..<options.batchSize).map { _ in sampler.sample(using: &generator) }
        // The targets as masks once: the robot clicker reads them at every simulated click.
        var truths = samples.map { sample in try! Mask(width: size, height: size, storage: sample.target.map { $0 > 0.5 }) }
        if options.targetOutlineJitter > 0 {
            for n in truths.indices where Float.random(in: 0..<1, using: &generator) < options.targetOutlineJitter {
                truths[n] = OutlinePerturbation.random(truths[n], upTo: options.targetOutlineJitterPixels, using: &generator)
            }
        }
        var points = samples.map { [(u: $0.firstClick.u, v: $0.firstClick.v, positive: true)] }
        var previous: [[Float]?] = Array(repeating: nil, count: samples.count)
        let images = input.batch(samples.map(\.image), channels: 3)
        let targets = input.batch(truths.map { $0.storage.map { $0 ? 1 : 0 } }, channels: 1)
        let extra = Int.random(in: 0...options.maxExtraClicks, using: &generator)
        if extra > 0 {
            network.setTraining(false)
            try Autograd.noGrad { () throws(LearningError) in
                let imageFeatures = try network.imageFeatures(images), detail = try network.detailFeatures(images)
                for _ in 0..<extra {
                    let guidance = input.batch(samples.indices.map { input.guidance(points: points[$0], previous: previous[$0]) }, channels: 3)
                    let logits = try network.head(network.backbone(imageFeatures: imageFeatures, guidance: guidance), detail: detail)
                    for n in samples.indices {
                        let probabilities = (0..<plane).map { 1 / (1 + Foundation.exp(-logits.data[n * plane + $0])) }
                        let predicted = try! Mask(width: size, height: size, storage: probabilities.map { $0 > 0.5 })
                        var clicker = RobotClicker(groundTruth: truths[n])
                        if let click = clicker.nextClick(prediction: predicted) {
                            points[n].append((Double(click.x), Double(click.y), click.positive))
                        }
                        previous[n] = probabilities
                    }
                }
            }
        }
        let guidance = input.batch(samples.indices.map { input.guidance(points: points[$0], previous: previous[$0]) }, channels: 3)
        network.setTraining(true)
        network.zeroGrad()
        let logits = try network.head(network.backbone(imageFeatures: network.imageFeatures(images), guidance: guidance),
                                      detail: network.detailFeatures(images))
        var loss = try options.loss.evaluate(logits: logits, targets: targets)
        if options.diceWeight > 0 {
            loss = try F.add(loss, F.scale(F.softDice(F.sigmoid(logits), targets), by: options.diceWeight))
        }
        try loss.backward()
        optimiser.step()
        return Double(loss.item)
    }
}
