import Foundation
import Imaging
import Learning
import Metrics
import Randomness

/// Supervised training of a HoVerNet model: random augmented patches, Adam with linear
/// warm-up and cosine decay, validation on held-out images with the project's metrics,
/// best-model checkpoints written atomically.
public enum HoVerNetTrainer {
    /// Trains until the budget is spent or `isCancelled()` returns true (checked before every
    /// step). A cancelled run returns normally with `stopReason == .cancelled`; the files
    /// written so far are complete (each write is atomic).
    public static func train(configuration: HoVerNetConfiguration = HoVerNetConfiguration(), data: TrainingSet,
                             validation: TrainingSet? = nil, options: TrainingOptions,
                             progress: (TrainingProgress) -> Void = { _ in },
                             isCancelled: () -> Bool = { false }) throws(HoVerNetError) -> TrainingSummary {
        try options.validate()
        let multiple = configuration.sizeMultiple
        guard options.patchSize % multiple == 0 else {
            throw .invalidConfiguration("patch size \(options.patchSize) must be a multiple of \(multiple) for \(configuration.widths.count) levels")
        }
        if configuration.typeClasses > 0 {
            guard data.instanceTypes != nil else {
                throw .invalidConfiguration("the model has an NC head (\(configuration.typeClasses) type classes) but the training data has no type_maps/")
            }
            guard data.typeClasses <= configuration.typeClasses else {
                throw .invalidConfiguration("the type maps hold \(data.typeClasses) classes (0…\(data.typeClasses - 1)) but the NC head has \(configuration.typeClasses)")
            }
        }
        let model = try HoVerNetModel(configuration: configuration, seed: options.seed)
        var firstStep = 0
        let optimizer = Adam(parameters: model.parameters(), learningRate: options.learningRate)
        if let resume = options.resume {
            let (info, state) = try Checkpoint.loadResumeState(resume, into: model)
            firstStep = info.step
            // Resume files written before the optimiser state was saved restart its moments.
            if let state {
                do { try optimizer.restore(state) } catch { throw .learning(error) }
            }
        } else if let initial = options.initialModel {
            // A warm start is a new optimisation (other data): fresh moments.
            try Checkpoint.load(initial, into: model)
        }
        let sampler = PatchSampler(set: data, patchSize: options.patchSize, augmentation: options.augmentation,
                                   minimumArea: options.minimumInstanceArea)
        // Each run's stream depends on the seed and the step it starts from, so a resumed run
        // does not replay the patches it already saw.
        var generator = SplitMix64(seed: options.seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(firstStep))
        let segmenter = HoVerNetSegmenter(model: model, tiling: options.tiling)
        let start = ContinuousClock.now
        func elapsed() -> Double { let d = ContinuousClock.now - start; return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let budgetSeconds = options.minutes.map { $0 * 60 }

        var step = firstStep
        var smoothed: Float = .nan
        var lastTerms = LossTerms(total: .nan, crossEntropy: .nan, dice: .nan, mse: .nan, msge: .nan)
        var best: ValidationScores?
        var bestStep: Int?
        var written: URL?
        var stopReason = TrainingSummary.StopReason.steps
        var stepsThisRun = 0
        var lastValidatedStep = -1

        func plannedSteps() -> Int {
            if let steps = options.steps { return steps }
            // Estimate from the pace so far.
            guard stepsThisRun > 0, let budgetSeconds else { return max(step, 1) }
            return firstStep + max(stepsThisRun, Int(Double(stepsThisRun) * budgetSeconds / max(elapsed(), 1e-3)))
        }
        /// Fraction of the budget used: steps or time, whichever is further.
        func fraction() -> Double {
            var value = 0.0
            if let steps = options.steps { value = Double(step) / Double(steps) }
            if let budgetSeconds { value = max(value, elapsed() / budgetSeconds) }
            return min(value, 1)
        }
        func learningRate() -> Float {
            if step < options.warmupSteps { return options.learningRate * Float(step + 1) / Float(options.warmupSteps) }
            let cosine = Float(0.5 * (1 + cos(Double.pi * fraction())))
            return options.minimumLearningRate + (options.learningRate - options.minimumLearningRate) * cosine
        }
        func report(_ event: TrainingProgress.Event, validation: ValidationScores? = nil, checkpoint: URL? = nil, loss: Float) {
            let seconds = elapsed()
            let rate = stepsThisRun > 0 ? Double(stepsThisRun) / seconds : 0
            let total = plannedSteps()
            var eta = rate > 0 ? Double(max(total - step, 0)) / rate : .infinity
            if let budgetSeconds { eta = min(eta, max(budgetSeconds - seconds, 0)) }
            progress(TrainingProgress(event: event, step: step, totalSteps: total, loss: loss, smoothedLoss: smoothed, terms: lastTerms,
                                      learningRate: learningRate(), iterationsPerSecond: rate,
                                      patchesPerSecond: rate * Double(options.batchSize), elapsedSeconds: seconds, etaSeconds: eta,
                                      validation: validation, best: best, checkpoint: checkpoint))
        }
        func notes() -> [String: String] {
            var notes = ["seed": String(options.seed), "patch_size": String(options.patchSize), "batch_size": String(options.batchSize)]
            if let best {
                notes["validation_dice"] = String(format: "%.4f", best.dice)
                notes["validation_aji"] = String(format: "%.4f", best.aji)
                notes["validation_pq"] = String(format: "%.4f", best.pq)
            }
            return notes
        }
        /// Validation and checkpoints: the best model to `output`, the latest to the resume file.
        func checkpoint() throws(HoVerNetError) {
            lastValidatedStep = step
            var improved = true
            if let validation {
                let scores = try evaluate(segmenter, on: validation)
                improved = best.map { scores.score > $0.score } ?? true
                if improved { best = scores; bestStep = step }
                report(.validation, validation: scores, loss: lastTerms.total)
            }
            guard let output = options.output else { return }
            let resumeFile = TrainingOptions.resumeFile(for: output)
            try Checkpoint.save(model, to: resumeFile, step: step, notes: notes(), optimizer: optimizer.state)
            if improved {
                try Checkpoint.save(model, to: output, step: step, notes: notes())
                written = output
                report(.checkpoint, checkpoint: output, loss: lastTerms.total)
            }
        }

        while true {
            if let steps = options.steps, step >= steps { stopReason = .steps; break }
            if let budgetSeconds, elapsed() >= budgetSeconds { stopReason = .time; break }
            if isCancelled() { stopReason = .cancelled; break }
            model.setTraining(true)
            let (input, targets) = try sampler.batch(options.batchSize, typeClasses: configuration.typeClasses, using: &generator)
            do {
                let output = try model.heads(input)
                let (loss, terms) = try HoVerLoss.compute(output, targets, weights: options.lossWeights)
                model.zeroGrad()
                try loss.backward()
                optimizer.learningRate = learningRate()
                optimizer.step()
                lastTerms = terms
            } catch {
                throw .learning(error)
            }
            step += 1
            stepsThisRun += 1
            smoothed = smoothed.isNaN ? lastTerms.total : 0.95 * smoothed + 0.05 * lastTerms.total
            report(.step, loss: lastTerms.total)
            if step % options.validationEvery == 0 { try checkpoint() }
        }
        // A final validation unless the last step was just validated or nothing was trained;
        // a cancelled run writes nothing more (the caller asked it to stop).
        if stopReason != .cancelled, stepsThisRun > 0, lastValidatedStep != step { try checkpoint() }
        let seconds = elapsed()
        return TrainingSummary(stopReason: stopReason, steps: step, seconds: seconds,
                               patchesPerSecond: Double(stepsThisRun * options.batchSize) / max(seconds, 1e-9),
                               finalLoss: lastTerms.total, best: best, bestStep: bestStep, output: written,
                               parameters: model.parameterCount, gflopsPer256: configuration.forwardFLOPs() / 1e9)
    }

    /// Image-wise mean Dice, AJI and PQ of the segmenter on a labelled set.
    public static func evaluate(_ segmenter: HoVerNetSegmenter, on set: TrainingSet) throws(HoVerNetError) -> ValidationScores {
        var results: [(labels: LabelMap, uncertainty: Double)] = []
        for pair in set.pairs {
            let result = try segmenter.segment(pair.image)
            results.append((result.labels, result.uncertainty))
        }
        return try ValidationScores.mean(over: set, results)
    }
}
