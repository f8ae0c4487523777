import HoVerNet
import ServiceKit
import Wire

// The training recipe (seed, patches, validation interval, learning rate, loss weights,
// augmentation) crosses the wire in `HoVerNetTrainRequest`; this is its one mapping in each
// direction, so a job started over the wire trains as the same options would in-process.
// The budget, the data and the models are the caller's.

extension Annotator_V1_HoVerNetTrainRequest {
    /// Sets every recipe field from `options`.
    public mutating func setRecipe(_ options: TrainingOptions) {
        seed = options.seed
        patchSize = UInt32(options.patchSize)
        batchSize = UInt32(options.batchSize)
        validationEvery = UInt32(options.validationEvery)
        learningRate = options.learningRate
        lossWeights = .with {
            $0.crossEntropy = options.lossWeights.crossEntropy
            $0.dice = options.lossWeights.dice
            $0.mse = options.lossWeights.mse
            $0.msge = options.lossWeights.msge
        }
        let augmentation = options.augmentation
        self.augmentation = .with {
            $0.flipsAndRotations = augmentation.flipsAndRotations
            $0.hedScale = augmentation.hedScale
            $0.hedShift = augmentation.hedShift
            $0.elasticProbability = augmentation.elasticProbability
            $0.brightness = augmentation.brightness
            $0.contrast = augmentation.contrast
            $0.saturation = augmentation.saturation
        }
    }
}

extension TrainingOptions {
    /// Takes the recipe of a Train request; fields left unset keep the defaults. Values a
    /// trainer cannot use are the caller's error, named by field.
    mutating func applyRecipe(of request: Annotator_V1_HoVerNetTrainRequest) throws(RPCError) {
        seed = request.seed
        if request.patchSize > 0 { patchSize = Int(request.patchSize) }
        if request.batchSize > 0 { batchSize = Int(request.batchSize) }
        if request.validationEvery > 0 { validationEvery = Int(request.validationEvery) }
        if request.learningRate != 0 {
            guard request.learningRate > 0, request.learningRate.isFinite else {
                throw .invalidArgument("learning_rate: \(request.learningRate) is not a positive number")
            }
            learningRate = request.learningRate
        }
        if request.hasLossWeights {
            let w = request.lossWeights
            let terms = [w.crossEntropy, w.dice, w.mse, w.msge]
            guard terms.allSatisfy({ $0 >= 0 && $0.isFinite }), terms.contains(where: { $0 > 0 }) else {
                throw .invalidArgument("loss_weights: \(terms) must be non-negative with at least one above 0")
            }
            (lossWeights.crossEntropy, lossWeights.dice, lossWeights.mse, lossWeights.msge) = (w.crossEntropy, w.dice, w.mse, w.msge)
        }
        if request.hasAugmentation {
            let a = request.augmentation
            let ranges = [a.hedScale, a.hedShift, a.brightness, a.contrast, a.saturation]
            guard ranges.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw .invalidArgument("augmentation: jitter ranges \(ranges) must be non-negative")
            }
            guard (0...1).contains(a.elasticProbability) else {
                throw .invalidArgument("augmentation.elastic_probability: \(a.elasticProbability) is not in [0, 1]")
            }
            augmentation.flipsAndRotations = a.flipsAndRotations
            (augmentation.hedScale, augmentation.hedShift) = (a.hedScale, a.hedShift)
            augmentation.elasticProbability = a.elasticProbability
            (augmentation.brightness, augmentation.contrast, augmentation.saturation) = (a.brightness, a.contrast, a.saturation)
        }
    }
}
