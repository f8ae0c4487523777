import Foundation

/// Losses reduce to a single value (mean unless noted) and throw `.nonFinite` when that value
/// is NaN or ±Inf, so a diverging run stops at the step that diverged.
extension F {
    static func finiteLoss(_ op: String, _ value: Double, _ inputs: [Tensor]) throws(LearningError) {
        guard value.isFinite else {
            let bad = inputs.first { tensor in (0..<tensor.count).contains { !tensor.data[$0].isFinite } }
            let culprit = bad.map { "input \($0.name ?? "tensor") \($0.shape) holds NaN/Inf" } ?? "loss overflowed"
            throw .nonFinite(op: op, detail: "loss is \(value); \(culprit)")
        }
    }

    /// mean(max(x, 0) − x·t + log(1 + e^(−|x|))), the stable form of BCE on sigmoid(x).
    /// Shapes: logits and targets equal → [].
    public static func bceWithLogits(_ logits: Tensor, _ targets: Tensor) throws(LearningError) -> Tensor {
        try requireSameShape("bceWithLogits", logits, targets)
        var total = 0.0
        for i in 0..<logits.count {
            let x = Double(logits.data[i]), t = Double(targets.data[i])
            total += max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-abs(x)))
        }
        let n = Float(max(logits.count, 1))
        try finiteLoss("bceWithLogits", total, [logits, targets])
        return Tensor.scalar(Float(total) / n).recording("bceWithLogits", [logits]) { g in
            let dx = logits.gradBuffer(), scale = g[0] / n
            for i in 0..<logits.count { dx[i] += (stableSigmoid(logits.data[i]) - targets.data[i]) * scale }
        }
    }

    /// γ of `normalizedFocalLoss` unless given (RITM's value).
    public static let defaultFocalGamma: Float = 2

    /// RITM's normalised focal loss on sigmoid(x): per sample, Σ w·(−log pₜ) / Σ w with
    /// w = (1 − pₜ)^γ and pₜ = t·p + (1 − t)(1 − p), averaged over samples. Pixels the network
    /// already gets right weigh almost nothing, so the loss concentrates on the few uncertain
    /// pixels — for nuclei, the outline. With `detachNormaliser` (RITM's default) Σ w is a
    /// constant in the backward pass. Shapes: logits and targets [N, ...] equal → [].
    public static func normalizedFocalLoss(_ logits: Tensor, _ targets: Tensor, gamma: Float = defaultFocalGamma,
                                           detachNormaliser: Bool = true) throws(LearningError) -> Tensor {
        try requireSameShape("normalizedFocalLoss", logits, targets)
        guard let samples = logits.shape.first, samples > 0, gamma >= 0 else {
            throw .invalidArgument(op: "normalizedFocalLoss", detail: "needs a batch axis and gamma ≥ 0, got \(logits.shape), gamma \(gamma)")
        }
        let perSample = logits.count / samples, g = Double(gamma)
        var sampleLoss = [Double](repeating: 0, count: samples), normaliser = sampleLoss
        for n in 0..<samples {
            var weighted = 0.0, weights = 0.0
            for i in n * perSample..<(n + 1) * perSample {
                let (pt, _) = focalTerms(logits.data[i], targets.data[i])
                let w = Foundation.pow(1 - pt, g)
                weighted -= w * Foundation.log(pt); weights += w
            }
            normaliser[n] = weights + 1e-8
            sampleLoss[n] = weighted / normaliser[n]
        }
        let total = sampleLoss.reduce(0, +) / Double(samples)
        try finiteLoss("normalizedFocalLoss", total, [logits, targets])
        return Tensor.scalar(Float(total)).recording("normalizedFocalLoss", [logits]) { grad in
            let dx = logits.gradBuffer()
            for n in 0..<samples {
                let scale = Double(grad[0]) / (Double(samples) * normaliser[n])
                for i in n * perSample..<(n + 1) * perSample {
                    let (pt, slope) = focalTerms(logits.data[i], targets.data[i])
                    let complement = 1 - pt
                    // d/dpₜ of w·(−log pₜ) (and of w, for the normaliser's share). At pₜ = 1
                    // dw is 0 for γ > 1 and unbounded below 1, but it multiplies log 1 = 0 there.
                    let dWeight = g == 0 || complement == 0 ? 0 : -g * Foundation.pow(complement, g - 1)
                    var dLoss = dWeight * -Foundation.log(pt) - Foundation.pow(complement, g) / pt
                    if !detachNormaliser { dLoss -= sampleLoss[n] * dWeight }
                    dx[i] += Float(scale * dLoss * slope)
                }
            }
        }
    }

    /// pₜ (kept ≥ 1e-12 so its log is finite) and dpₜ/dx for one logit and target.
    private static func focalTerms(_ logit: Float, _ target: Float) -> (pt: Double, slope: Double) {
        let p = Double(stableSigmoid(logit)), t = Double(target)
        return (max(t * p + (1 - t) * (1 - p), 1e-12), (2 * t - 1) * p * (1 - p))
    }

    /// Mean over rows of −log softmax(logits)[label]. Shapes: logits [..., C], labels one
    /// integer in 0..<C per row (count = logits.count / C) → [].
    public static func crossEntropy(_ logits: Tensor, labels: [Int32]) throws(LearningError) -> Tensor {
        guard let c = logits.shape.last, c > 0, labels.count * c == logits.count else {
            throw .shapeMismatch(op: "crossEntropy", detail: "needs one label per row of logits [..., C] (\(labels.count) labels)",
                                 shapes: [logits.shape])
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= c }) {
            throw .invalidArgument(op: "crossEntropy", detail: "label \(labels[bad]) at row \(bad) is outside 0..<\(c)")
        }
        let rows = labels.count
        let probabilities = Tensor(uninitialized: logits.shape)
        rowSoftmax(logits.data, probabilities.data, rows: rows, classes: c, log: true)
        var total = 0.0
        for row in 0..<rows { total -= Double(probabilities.data[row * c + Int(labels[row])]) }
        try finiteLoss("crossEntropy", total, [logits])
        let n = Float(max(rows, 1))
        return Tensor.scalar(Float(total) / n).recording("crossEntropy", [logits]) { g in
            let dx = logits.gradBuffer(), scale = g[0] / n
            for row in 0..<rows {
                for ch in 0..<c {
                    let i = row * c + ch
                    dx[i] += (Foundation.exp(probabilities.data[i]) - (Int(labels[row]) == ch ? 1 : 0)) * scale
                }
            }
        }
    }

    /// HoVerNet's soft Dice: per channel (last axis) 1 − (2Σpt + s)/(Σp + Σt + s), summed over
    /// channels, s = 1e-3. Shapes: probabilities and targets [..., C] → [].
    public static func softDice(_ probabilities: Tensor, _ targets: Tensor, smooth: Float = 1e-3) throws(LearningError) -> Tensor {
        try requireSameShape("softDice", probabilities, targets)
        guard let c = probabilities.shape.last, c > 0 else {
            throw .invalidArgument(op: "softDice", detail: "needs a channel axis, got \(probabilities.shape)")
        }
        let rows = probabilities.count / c
        var inter = [Double](repeating: 0, count: c), sumP = inter, sumT = inter
        for row in 0..<rows {
            for ch in 0..<c {
                let p = Double(probabilities.data[row * c + ch]), t = Double(targets.data[row * c + ch])
                inter[ch] += p * t; sumP[ch] += p; sumT[ch] += t
            }
        }
        let s = Double(smooth)
        var total = 0.0
        for ch in 0..<c { total += 1 - (2 * inter[ch] + s) / (sumP[ch] + sumT[ch] + s) }
        try finiteLoss("softDice", total, [probabilities, targets])
        return Tensor.scalar(Float(total)).recording("softDice", [probabilities]) { g in
            let dx = probabilities.gradBuffer()
            // d/dp of −(2I + s)/(U + s) with U = Σp + Σt: −(2t·(U+s) − (2I+s))/(U+s)².
            var a = [Float](repeating: 0, count: c), b = [Float](repeating: 0, count: c)
            for ch in 0..<c {
                let u = sumP[ch] + sumT[ch] + s
                a[ch] = Float(-2 / u); b[ch] = Float((2 * inter[ch] + s) / (u * u))
            }
            for row in 0..<rows {
                for ch in 0..<c {
                    let i = row * c + ch
                    dx[i] += g[0] * (a[ch] * targets.data[i] + b[ch])
                }
            }
        }
    }

    /// mean((p − t)²). Shapes: equal → [].
    public static func mse(_ prediction: Tensor, _ target: Tensor) throws(LearningError) -> Tensor {
        try requireSameShape("mse", prediction, target)
        var total = 0.0
        for i in 0..<prediction.count { let d = Double(prediction.data[i] - target.data[i]); total += d * d }
        try finiteLoss("mse", total, [prediction, target])
        let n = Float(max(prediction.count, 1))
        return Tensor.scalar(Float(total) / n).recording("mse", [prediction, target]) { g in
            let scale = 2 * g[0] / n
            if prediction.requiresGrad {
                let dx = prediction.gradBuffer()
                for i in 0..<prediction.count { dx[i] += (prediction.data[i] - target.data[i]) * scale }
            }
            if target.requiresGrad {
                let dx = target.gradBuffer()
                for i in 0..<prediction.count { dx[i] -= (prediction.data[i] - target.data[i]) * scale }
            }
        }
    }

    /// mean(|p − t|); the gradient at p = t is 0. Shapes: equal → [].
    public static func l1(_ prediction: Tensor, _ target: Tensor) throws(LearningError) -> Tensor {
        try requireSameShape("l1", prediction, target)
        var total = 0.0
        for i in 0..<prediction.count { total += Double(abs(prediction.data[i] - target.data[i])) }
        try finiteLoss("l1", total, [prediction, target])
        let n = Float(max(prediction.count, 1))
        return Tensor.scalar(Float(total) / n).recording("l1", [prediction, target]) { g in
            let scale = g[0] / n
            func sign(_ v: Float) -> Float { v > 0 ? 1 : (v < 0 ? -1 : 0) }
            if prediction.requiresGrad {
                let dx = prediction.gradBuffer()
                for i in 0..<prediction.count { dx[i] += sign(prediction.data[i] - target.data[i]) * scale }
            }
            if target.requiresGrad {
                let dx = target.gradBuffer()
                for i in 0..<prediction.count { dx[i] -= sign(prediction.data[i] - target.data[i]) * scale }
            }
        }
    }

    /// HoVerNet's 5×5 Sobel-like kernels, as `get_sobel_kernel(5)` in the reference: for
    /// offsets h (along x) and v (along y) in −2...2, kernel_h = h/(h² + v² + 1e-15),
    /// kernel_v = v/(h² + v² + 1e-15). Indexed [row (y)][column (x)].
    public static func hoverSobelKernels(size: Int = 5) -> (horizontal: [[Float]], vertical: [[Float]]) {
        let half = size / 2
        var kh = [[Float]](repeating: [Float](repeating: 0, count: size), count: size), kv = kh
        for row in 0..<size {
            for column in 0..<size {
                let h = Double(column - half), v = Double(row - half)
                kh[row][column] = Float(h / (h * h + v * v + 1e-15))
                kv[row][column] = Float(v / (h * h + v * v + 1e-15))
            }
        }
        return (kh, kv)
    }

    /// The HV maps' Sobel gradients as in the reference: channel 0 (horizontal map) filtered
    /// with kernel_h (a derivative along x), channel 1 (vertical map) with kernel_v (along
    /// y); zero padding ("SAME"), cross-correlation. Shapes: [N, H, W, 2] → [N, H, W, 2].
    public static func hoverGradients(_ hv: UnsafePointer<Float>, n: Int, h: Int, w: Int, into out: UnsafeMutablePointer<Float>) {
        sobelCorrelate(hv, n: n, h: h, w: w, into: out, flipped: false)
    }

    /// Correlates channel 0 with kernel_h and channel 1 with kernel_v (zero padding); with
    /// `flipped`, with the kernels rotated by 180°, which is the correlation's transpose
    /// (its backward as a gather, so rows can be split over threads without races).
    static func sobelCorrelate(_ hv: UnsafePointer<Float>, n: Int, h: Int, w: Int, into out: UnsafeMutablePointer<Float>, flipped: Bool) {
        let (kh, kv) = hoverSobelKernels()
        let source = SharedPointer(hv), target = SharedPointer(out)
        parallelRanges(n * h, minimumPerThread: 4) { lines in
            for line in lines {
                let b = line / h, y = line % h
                for x in 0..<w {
                    var dh: Float = 0, dv: Float = 0
                    for i in 0..<5 {
                        let yy = flipped ? y - i + 2 : y + i - 2
                        if yy < 0 || yy >= h { continue }
                        for j in 0..<5 {
                            let xx = flipped ? x - j + 2 : x + j - 2
                            if xx < 0 || xx >= w { continue }
                            let p = ((b * h + yy) * w + xx) * 2
                            dh += source[p] * kh[i][j]
                            dv += source[p + 1] * kv[i][j]
                        }
                    }
                    let o = ((b * h + y) * w + x) * 2
                    target[o] = dh; target[o + 1] = dv
                }
            }
        }
    }

    /// HoVerNet's gradient-MSE ("MSGE"): Σ focus·(∇pred − ∇true)² / (Σ focus + 1e-8), with
    /// ∇ = `hoverGradients` and focus = the nuclear mask on both channels (so the sum of
    /// focus is 2·Σ mask). Shapes: prediction, target [N, H, W, 2], mask [N, H, W] → [].
    public static func gradientMSE(_ prediction: Tensor, _ target: Tensor, mask: Tensor) throws(LearningError) -> Tensor {
        guard prediction.rank == 4, prediction.shape[3] == 2, target.shape == prediction.shape,
              mask.shape == Array(prediction.shape.prefix(3)) else {
            throw .shapeMismatch(op: "gradientMSE", detail: "needs prediction and target [N, H, W, 2] and mask [N, H, W]",
                                 shapes: [prediction.shape, target.shape, mask.shape])
        }
        let (n, h, w) = (prediction.shape[0], prediction.shape[1], prediction.shape[2])
        let gp = Tensor(uninitialized: prediction.shape), gt = Tensor(uninitialized: prediction.shape)
        hoverGradients(prediction.data, n: n, h: h, w: w, into: gp.data)
        hoverGradients(target.data, n: n, h: h, w: w, into: gt.data)
        var focus = 0.0, total = 0.0
        for p in 0..<(n * h * w) {
            let m = Double(mask.data[p])
            focus += 2 * m
            for ch in 0..<2 { let d = Double(gp.data[p * 2 + ch] - gt.data[p * 2 + ch]); total += m * d * d }
        }
        let denominator = focus + 1e-8
        try finiteLoss("gradientMSE", total, [prediction, target, mask])
        return Tensor.scalar(Float(total / denominator)).recording("gradientMSE", [prediction]) { g in
            // dL/d∇pred = 2·m·(∇pred − ∇true)/D, then back through the correlation.
            let scale = 2 * g[0] / Float(denominator)
            let dGrad = Tensor(uninitialized: prediction.shape)
            for p in 0..<(n * h * w) {
                for ch in 0..<2 { dGrad.data[p * 2 + ch] = scale * mask.data[p] * (gp.data[p * 2 + ch] - gt.data[p * 2 + ch]) }
            }
            let dPrediction = Tensor(uninitialized: prediction.shape)
            sobelCorrelate(dGrad.data, n: n, h: h, w: w, into: dPrediction.data, flipped: true)
            addInPlace(dPrediction.data, prediction.gradBuffer(), prediction.count)
        }
    }
}
