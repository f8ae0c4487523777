import Foundation
import Imaging
import Learning

/// SimGAN S+U training: R and D alternate on synthetic vs real (unannotated) patches.
/// D learns p(synthetic | patch); R minimises −log(1 − D(R(x))) + λ‖R(x) − x‖₁, the first
/// term as BCE-with-logits against label "real" (the stable form of the same quantity).
public enum RefinerTrainer {
    public struct Configuration: Sendable, Equatable {
        public var architecture = RefinerArchitecture()
        public var patchSize = 64
        public var batchSize = 8
        /// Weight of the self-regularisation ‖R(x) − x‖₁ (keeps the mask valid for the image).
        public var lambda: Float = 0.5
        public var refinerLearningRate: Float = 1e-4
        public var discriminatorLearningRate: Float = 1e-4
        /// D-only steps before alternating, so R first meets a D that knows something.
        public var discriminatorWarmupSteps = 50
        /// Per alternating step: refiner updates, then discriminator updates (k_g, k_d).
        public var refinerUpdates = 1
        public var discriminatorUpdates = 1
        public var historyCapacity = 512
        public var seed: UInt64 = 1
        public init() {}
    }

    public struct Options: Sendable {
        /// Alternating steps to run (not counting the warm-up); nil = until `minutes`.
        public var steps: Int?
        /// Wall-clock budget; the run stops after the step that crosses it.
        public var minutes: Double?
        /// Checkpoint file, written every `checkpointEvery` steps and at the end.
        public var checkpoint: URL?
        public var checkpointEvery = 100
        /// Continue from `checkpoint` when it exists.
        public var resume = false
        public init(steps: Int? = nil, minutes: Double? = nil, checkpoint: URL? = nil) {
            self.steps = steps
            self.minutes = minutes
            self.checkpoint = checkpoint
        }
    }

    public struct Progress: Sendable {
        public var step: Int
        public var totalSteps: Int?
        public var refinerAdversarialLoss: Float
        public var refinerRegularisationLoss: Float
        public var discriminatorLoss: Float
        /// D's accuracy on its own training batch (real and fake halves).
        public var discriminatorAccuracy: Float
        public var elapsedSeconds: Double
    }

    public struct Summary: Sendable {
        public var steps: Int
        public var seconds: Double
        public var last: Progress?
    }

    /// Trains `model` in place (a fresh one, or one loaded to resume).
    @discardableResult
    public static func train(model: RefinerModel, configuration: Configuration, pool: [RGBImage], synthetic: [RGBImage],
                             options: Options, progress: (Progress) -> Void = { _ in },
                             isCancelled: () -> Bool = { false }) throws(RefinementError) -> Summary {
        let size = configuration.patchSize
        guard size >= 16, size % 4 == 0, configuration.batchSize >= 2 else {
            throw .invalidArgument("patch size must be a multiple of 4 ≥ 16 and batch ≥ 2 (got \(size), \(configuration.batchSize))")
        }
        guard options.steps != nil || options.minutes != nil else { throw .invalidArgument("give a number of steps or minutes") }
        let real = pool.filter { $0.width >= size && $0.height >= size }
        let fake = synthetic.filter { $0.width >= size && $0.height >= size }
        guard !real.isEmpty else { throw .insufficientData("no real pool image of at least \(size)×\(size)") }
        guard !fake.isEmpty else { throw .insufficientData("no synthetic image of at least \(size)×\(size)") }
        if model.architecture != configuration.architecture {
            throw .incompatibleModel(path: options.checkpoint?.path ?? "model", detail: "architecture differs from the configuration")
        }
        // Resuming continues the random stream at a point that depends on the step.
        var rng = RefinementRandom(seed: configuration.seed &+ UInt64(model.step) &* 7919)
        let refinerOptimizer = Adam(parameters: model.refiner.parameters(), learningRate: configuration.refinerLearningRate)
        let discriminatorOptimizer = Adam(parameters: model.discriminator.parameters(), learningRate: configuration.discriminatorLearningRate)
        let optimizers = ["refiner": refinerOptimizer, "discriminator": discriminatorOptimizer]
        if model.step > 0, let checkpoint = options.checkpoint {
            // Moments of the same step, when the sidecar has them; otherwise they restart.
            OptimizerSidecar.restore(optimizers, step: model.step, from: checkpoint)
        }
        /// The optimisers' sidecar first, then the model (a resume ignores a sidecar of another step).
        func save(_ url: URL) throws(RefinementError) {
            do { try OptimizerSidecar.save(optimizers, step: model.step, nextTo: url) } catch {
                throw .output(path: OptimizerSidecar.url(for: url).path, detail: error.description)
            }
            try model.save(to: url)
        }
        var history = HistoryBuffer(capacity: configuration.historyCapacity)
        let start = Date()
        let itemShape = [size, size, 3]
        let half = configuration.batchSize / 2

        func batch(_ images: [RGBImage]) -> Tensor {
            Patches.tensor((0..<configuration.batchSize).map { _ in Patches.random(from: images, size: size, using: &rng) })
        }

        /// One D update on real vs refined (half fresh, half from history when it has enough).
        func discriminatorStep() throws(LearningError) -> (loss: Float, accuracy: Float) {
            let refined = try Autograd.noGrad { () throws(LearningError) -> Tensor in try model.refiner(batch(fake)) }
            var fakeRows = refined.rows()
            if history.patches.count >= half {
                let old = history.sample(half, using: &rng)
                history.add(Array(fakeRows.prefix(half)), using: &rng)
                fakeRows = Array(fakeRows.prefix(configuration.batchSize - half)) + old
            } else {
                history.add(Array(fakeRows.prefix(half)), using: &rng)
            }
            let fakes = Tensor.stack(fakeRows, shape: itemShape)
            let reals = batch(real)
            model.discriminator.zeroGrad()
            let realLogits = try model.discriminator(reals), fakeLogits = try model.discriminator(fakes)
            let loss = try F.scale(F.add(F.bceWithLogits(realLogits, Tensor(zeros: realLogits.shape)),
                                         F.bceWithLogits(fakeLogits, Tensor(shape: fakeLogits.shape, repeating: 1))), by: 0.5)
            try loss.backward()
            discriminatorOptimizer.step()
            let correct = realLogits.values.filter { $0 < 0 }.count + fakeLogits.values.filter { $0 > 0 }.count
            return (loss.item, Float(correct) / Float(realLogits.count + fakeLogits.count))
        }

        func refinerStep() throws(LearningError) -> (adversarial: Float, regularisation: Float) {
            let x = batch(fake)
            model.refiner.zeroGrad()
            // D is a fixed critic during R's update: no gradient is stored for it.
            model.discriminator.setFrozen(true)
            defer { model.discriminator.setFrozen(false) }
            let refined = try model.refiner(x)
            let logits = try model.discriminator(refined)
            let adversarial = try F.bceWithLogits(logits, Tensor(zeros: logits.shape))
            let regularisation = try F.l1(refined, x)
            try F.add(adversarial, F.scale(regularisation, by: configuration.lambda)).backward()
            refinerOptimizer.step()
            return (adversarial.item, regularisation.item)
        }

        var last: Progress?
        var done = 0
        do {
            if model.step == 0 {
                for _ in 0..<configuration.discriminatorWarmupSteps {
                    if isCancelled() { throw RefinementCancel.cancelled }
                    _ = try discriminatorStep()
                }
            }
            while true {
                if let steps = options.steps, done >= steps { break }
                if let minutes = options.minutes, Date().timeIntervalSince(start) >= minutes * 60 { break }
                if isCancelled() { throw RefinementCancel.cancelled }
                var r = (adversarial: Float(0), regularisation: Float(0)), d = (loss: Float(0), accuracy: Float(0))
                for _ in 0..<configuration.refinerUpdates { r = try refinerStep() }
                for _ in 0..<configuration.discriminatorUpdates { d = try discriminatorStep() }
                done += 1
                model.step += 1
                let report = Progress(step: model.step, totalSteps: options.steps.map { $0 + model.step - done },
                                      refinerAdversarialLoss: r.adversarial, refinerRegularisationLoss: r.regularisation,
                                      discriminatorLoss: d.loss, discriminatorAccuracy: d.accuracy,
                                      elapsedSeconds: Date().timeIntervalSince(start))
                last = report
                progress(report)
                if let url = options.checkpoint, options.checkpointEvery > 0, model.step % options.checkpointEvery == 0 {
                    do { try save(url) } catch { throw RefinementCancel.failed(error) }
                }
            }
        } catch let error as RefinementCancel {
            switch error {
            case .cancelled: throw .cancelled(step: model.step)
            case let .failed(inner): throw inner
            }
        } catch let error as LearningError {
            throw .learning(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
        if let url = options.checkpoint { try save(url) }
        return Summary(steps: done, seconds: Date().timeIntervalSince(start), last: last)
    }

    /// D's accuracy at telling real from refined patches it was not trained on
    /// (0.5 = it cannot tell; each patch's verdict is the mean of its logit map).
    public static func discriminatorAccuracy(model: RefinerModel, real: [RGBImage], synthetic: [RGBImage]) throws(RefinementError) -> Double {
        do {
            return try Autograd.noGrad { () throws(LearningError) -> Double in
                var correct = 0
                for (images, isSynthetic) in [(real, false), (synthetic, true)] where !images.isEmpty {
                    var input = Patches.tensor(images)
                    if isSynthetic { input = try model.refiner(input) }
                    let logits = try model.discriminator(input)
                    let perItem = logits.count / images.count
                    for item in 0..<images.count {
                        let mean = (0..<perItem).reduce(Float(0)) { $0 + logits.data[item * perItem + $1] } / Float(perItem)
                        if (mean > 0) == isSynthetic { correct += 1 }
                    }
                }
                return Double(correct) / Double(max(1, real.count + synthetic.count))
            }
        } catch {
            throw .learning(error)
        }
    }
}

/// Non-engine ways out of the typed training loop.
private enum RefinementCancel: Error {
    case cancelled
    case failed(RefinementError)
}
