import Imaging
import Learning

/// Weights of the loss terms. Defaults follow the HoVer-Net paper: NP cross-entropy + Dice,
/// HV MSE + 2 × gradient-MSE (MSGE) restricted to nuclear pixels.
public struct LossWeights: Codable, Sendable, Equatable {
    public var crossEntropy: Float = 1
    public var dice: Float = 1
    public var mse: Float = 1
    public var msge: Float = 2

    public init(crossEntropy: Float = 1, dice: Float = 1, mse: Float = 1, msge: Float = 2) {
        self.crossEntropy = crossEntropy
        self.dice = dice
        self.mse = mse
        self.msge = msge
    }
}

/// A batch of targets, NHWC like the model's outputs.
public struct TargetBatch {
    /// Per pixel 0 (background) or 1 (nucleus), N·H·W values.
    public var npLabels: [Int32]
    /// One-hot NP target [N, H, W, 2] for the Dice term.
    public var npOneHot: Tensor
    /// HV target [N, H, W, 2].
    public var hv: Tensor
    /// Nuclear mask [N, H, W] (1 on nuclei) restricting MSGE.
    public var mask: Tensor
}

/// The loss value and its terms (for progress reports).
public struct LossTerms: Sendable, Equatable {
    public var total: Float
    public var crossEntropy: Float, dice: Float, mse: Float, msge: Float
}

public enum HoVerLoss {
    /// Weighted sum of the four terms, with gradients to `output`.
    public static func compute(_ output: HoVerNetOutput, _ targets: TargetBatch,
                               weights: LossWeights = LossWeights()) throws(LearningError) -> (Tensor, LossTerms) {
        let ce = try F.crossEntropy(output.np, labels: targets.npLabels)
        let dice = try F.softDice(try F.softmax(output.np), targets.npOneHot)
        let mse = try F.mse(output.hv, targets.hv)
        let msge = try F.gradientMSE(output.hv, targets.hv, mask: targets.mask)
        var total = F.scale(ce, by: weights.crossEntropy)
        total = try F.add(total, F.scale(dice, by: weights.dice))
        total = try F.add(total, F.scale(mse, by: weights.mse))
        total = try F.add(total, F.scale(msge, by: weights.msge))
        return (total, LossTerms(total: total.item, crossEntropy: ce.item, dice: dice.item, mse: mse.item, msge: msge.item))
    }

    /// Stacks per-sample label maps (all of one size) into a target batch.
    public static func targets(_ labels: [LabelMapTargets]) throws(HoVerNetError) -> TargetBatch {
        guard let first = labels.first else { throw .invalidInput("no samples in the batch") }
        let h = first.height, w = first.width, n = labels.count
        guard labels.allSatisfy({ $0.width == w && $0.height == h }) else {
            throw .invalidInput("every sample of a batch must have the same size")
        }
        let pixels = n * h * w
        var npLabels = [Int32](repeating: 0, count: pixels)
        let oneHot = Tensor(zeros: [n, h, w, 2]), hv = Tensor(zeros: [n, h, w, 2]), mask = Tensor(zeros: [n, h, w])
        for (b, sample) in labels.enumerated() {
            for i in 0..<(h * w) {
                let p = b * h * w + i
                let nucleus = sample.np.storage[i]
                npLabels[p] = nucleus ? 1 : 0
                oneHot.data[p * 2 + (nucleus ? 1 : 0)] = 1
                mask.data[p] = nucleus ? 1 : 0
                hv.data[p * 2] = sample.horizontal.storage[i]
                hv.data[p * 2 + 1] = sample.vertical.storage[i]
            }
        }
        return TargetBatch(npLabels: npLabels, npOneHot: oneHot, hv: hv, mask: mask)
    }
}
