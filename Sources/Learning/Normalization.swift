extension F {
    /// Batch normalisation over all axes but the last (NHWC channels). Training uses the
    /// batch's biased variance and updates the running statistics in place (PyTorch's
    /// convention: running_var takes the unbiased variance); evaluation uses the running ones.
    /// Shapes: x [..., C], gamma/beta/runningMean/runningVar [C] → x's shape.
    public static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
                                 training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) throws(LearningError) -> Tensor {
        guard let c = x.shape.last, [gamma, beta, runningMean, runningVar].allSatisfy({ $0.shape == [c] }) else {
            throw .shapeMismatch(op: "batchNorm", detail: "gamma, beta and running stats must be [C] for x [..., C]",
                                 shapes: [x.shape, gamma.shape, beta.shape, runningMean.shape, runningVar.shape])
        }
        let rows = x.count / max(c, 1)
        guard rows > (training ? 1 : 0) else {
            throw .invalidArgument(op: "batchNorm", detail: "training needs more than one value per channel, got \(x.shape)")
        }
        var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
        if training {
            var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
            for row in 0..<rows {
                let r = x.data + row * c
                for ch in 0..<c { let v = Double(r[ch]); sum[ch] += v; squares[ch] += v * v }
            }
            for ch in 0..<c {
                let m = sum[ch] / Double(rows)
                let variance = max(squares[ch] / Double(rows) - m * m, 0)
                mean[ch] = Float(m)
                invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
                runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * Float(m)
                runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * Float(variance * Double(rows) / Double(rows - 1))
            }
        } else {
            for ch in 0..<c { mean[ch] = runningMean.data[ch]; invStd[ch] = 1 / (runningVar.data[ch] + epsilon).squareRoot() }
        }
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelRanges(rows, minimumPerThread: 1024) { range in
            for row in range {
                for ch in 0..<c {
                    let i = row * c + ch
                    ys[i] = (xs[i] - mean[ch]) * invStd[ch] * gamma.data[ch] + beta.data[ch]
                }
            }
        }
        return out.recording("batchNorm", [x, gamma, beta]) { g in
            var sumG = [Double](repeating: 0, count: c), sumGX = [Double](repeating: 0, count: c)
            for row in 0..<rows {
                for ch in 0..<c {
                    let i = row * c + ch
                    let xhat = Double((x.data[i] - mean[ch]) * invStd[ch])
                    sumG[ch] += Double(g[i]); sumGX[ch] += Double(g[i]) * xhat
                }
            }
            if gamma.requiresGrad { let d = gamma.gradBuffer(); for ch in 0..<c { d[ch] += Float(sumGX[ch]) } }
            if beta.requiresGrad { let d = beta.gradBuffer(); for ch in 0..<c { d[ch] += Float(sumG[ch]) } }
            guard x.requiresGrad else { return }
            let dx = x.gradBuffer()
            let count = Float(rows)
            for row in 0..<rows {
                for ch in 0..<c {
                    let i = row * c + ch
                    let scale = gamma.data[ch] * invStd[ch]
                    if training {
                        // dx = γ·σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))
                        let xhat = (x.data[i] - mean[ch]) * invStd[ch]
                        dx[i] += scale * (g[i] - Float(sumG[ch]) / count - xhat * Float(sumGX[ch]) / count)
                    } else {
                        dx[i] += scale * g[i]
                    }
                }
            }
        }
    }

    /// Group normalisation: channels split into `groups`, each (sample, group) normalised
    /// over its pixels and channels. Shapes: x [N, ..., C], gamma/beta [C] → x's shape.
    public static func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws(LearningError) -> Tensor {
        guard x.rank >= 2, let c = x.shape.last, groups >= 1, c % groups == 0, gamma.shape == [c], beta.shape == [c] else {
            throw .shapeMismatch(op: "groupNorm", detail: "needs x [N, ..., C] with C divisible by \(groups) groups and gamma/beta [C]",
                                 shapes: [x.shape, gamma.shape, beta.shape])
        }
        let n = x.shape[0], pixels = x.count / (n * c), size = c / groups
        let perGroup = Float(pixels * size)
        var mean = [Float](repeating: 0, count: n * groups), invStd = [Float](repeating: 0, count: n * groups)
        for b in 0..<n {
            var sum = [Double](repeating: 0, count: groups), squares = [Double](repeating: 0, count: groups)
            for p in 0..<pixels {
                let r = x.data + (b * pixels + p) * c
                for ch in 0..<c { let v = Double(r[ch]); sum[ch / size] += v; squares[ch / size] += v * v }
            }
            for group in 0..<groups {
                let m = sum[group] / Double(perGroup)
                mean[b * groups + group] = Float(m)
                invStd[b * groups + group] = Float(1 / (max(squares[group] / Double(perGroup) - m * m, 0) + Double(epsilon)).squareRoot())
            }
        }
        let out = Tensor(uninitialized: x.shape)
        for b in 0..<n {
            for p in 0..<pixels {
                let i0 = (b * pixels + p) * c
                for ch in 0..<c {
                    let s = b * groups + ch / size
                    out.data[i0 + ch] = (x.data[i0 + ch] - mean[s]) * invStd[s] * gamma.data[ch] + beta.data[ch]
                }
            }
        }
        return out.recording("groupNorm", [x, gamma, beta]) { g in
            var sumG = [Double](repeating: 0, count: n * groups), sumGX = [Double](repeating: 0, count: n * groups)
            let dGamma = gamma.requiresGrad ? gamma.gradBuffer() : nil, dBeta = beta.requiresGrad ? beta.gradBuffer() : nil
            for b in 0..<n {
                for p in 0..<pixels {
                    let i0 = (b * pixels + p) * c
                    for ch in 0..<c {
                        let s = b * groups + ch / size
                        let xhat = (x.data[i0 + ch] - mean[s]) * invStd[s]
                        let gh = g[i0 + ch] * gamma.data[ch]  // gradient at x̂
                        sumG[s] += Double(gh); sumGX[s] += Double(gh * xhat)
                        dGamma?[ch] += g[i0 + ch] * xhat
                        dBeta?[ch] += g[i0 + ch]
                    }
                }
            }
            guard x.requiresGrad else { return }
            let dx = x.gradBuffer()
            for b in 0..<n {
                for p in 0..<pixels {
                    let i0 = (b * pixels + p) * c
                    for ch in 0..<c {
                        let s = b * groups + ch / size
                        let xhat = (x.data[i0 + ch] - mean[s]) * invStd[s]
                        let gh = g[i0 + ch] * gamma.data[ch]
                        dx[i0 + ch] += invStd[s] * (gh - Float(sumG[s]) / perGroup - xhat * Float(sumGX[s]) / perGroup)
                    }
                }
            }
        }
    }
}
