extension F {
    /// Batch normalisation over all axes but the last (NHWC channels). Training uses the
    /// batch's biased variance and updates the running statistics in place (PyTorch's
    /// convention: running_var takes the unbiased variance); evaluation uses the running ones.
    /// Shapes: x [..., C], gamma/beta/runningMean/runningVar [C] → x's shape.
    ///
    /// Both passes are per-channel affine maps once the statistics are known (forward
    /// y = a·x + b; backward dx = a·g + c1·x + c0), so they run as parallel, vectorised
    /// sweeps over rows; the statistics are parallel reductions summed in Double.
    public static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
                                 training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) throws(LearningError) -> Tensor {
        guard let c = x.shape.last, c > 0, [gamma, beta, runningMean, runningVar].allSatisfy({ $0.shape == [c] }) else {
            throw .shapeMismatch(op: "batchNorm", detail: "gamma, beta and running stats must be [C] for x [..., C]",
                                 shapes: [x.shape, gamma.shape, beta.shape, runningMean.shape, runningVar.shape])
        }
        let rows = x.count / c
        guard rows > (training ? 1 : 0) else {
            throw .invalidArgument(op: "batchNorm", detail: "training needs more than one value per channel, got \(x.shape)")
        }
        var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
        if training {
            let (sum, squares) = channelSums(x.data, x.data, rows: rows, channels: c)
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
        // y = a·x + b per channel.
        var a = [Float](repeating: 0, count: c), b = [Float](repeating: 0, count: c)
        for ch in 0..<c { a[ch] = gamma.data[ch] * invStd[ch]; b[ch] = beta.data[ch] - mean[ch] * a[ch] }
        let out = Tensor(uninitialized: x.shape)
        channelAffineSweep(x.data, nil, out.data, rows: rows, channels: c, scale: a, shift: b, xScale: nil)
        return out.recording("batchNorm", [x, gamma, beta]) { g in
            // Σg and Σg·x per channel; Σg·x̂ = σ⁻¹(Σg·x − μΣg).
            let (sumG, sumGXraw) = channelSums(g, x.data, rows: rows, channels: c)
            var sumGX = [Double](repeating: 0, count: c)
            for ch in 0..<c { sumGX[ch] = Double(invStd[ch]) * (sumGXraw[ch] - Double(mean[ch]) * sumG[ch]) }
            if gamma.requiresGrad { let d = gamma.gradBuffer(); for ch in 0..<c { d[ch] += Float(sumGX[ch]) } }
            if beta.requiresGrad { let d = beta.gradBuffer(); for ch in 0..<c { d[ch] += Float(sumG[ch]) } }
            guard x.requiresGrad else { return }
            // Training: dx = γσ⁻¹(g − Σg/M − x̂·Σg·x̂/M) = a·g + c1·x + c0.
            var c1 = [Float](repeating: 0, count: c), c0 = [Float](repeating: 0, count: c)
            if training {
                let count = Double(rows)
                for ch in 0..<c {
                    let k = Double(a[ch]) * Double(invStd[ch]) * sumGX[ch] / count
                    c1[ch] = Float(-k)
                    c0[ch] = Float(-Double(a[ch]) * sumG[ch] / count + k * Double(mean[ch]))
                }
            }
            channelAffineSweep(g, x.data, x.gradBuffer(), rows: rows, channels: c, scale: a, shift: c0, xScale: c1, accumulate: true)
        }
    }

    /// Group normalisation: channels split into `groups`, each (sample, group) normalised
    /// over its pixels and channels. Shapes: x [N, ..., C], gamma/beta [C] → x's shape.
    /// Samples are independent, so they are split over the threads.
    public static func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws(LearningError) -> Tensor {
        guard x.rank >= 2, let c = x.shape.last, groups >= 1, c % groups == 0, gamma.shape == [c], beta.shape == [c] else {
            throw .shapeMismatch(op: "groupNorm", detail: "needs x [N, ..., C] with C divisible by \(groups) groups and gamma/beta [C]",
                                 shapes: [x.shape, gamma.shape, beta.shape])
        }
        let n = x.shape[0], pixels = x.count / (n * c), size = c / groups
        let perGroup = Double(pixels * size)
        // Per (sample, group): mean and 1/σ.
        let stats = Tensor(zeros: [n, groups, 2])
        let xs = SharedPointer(x.data), st = SharedPointer(stats.data), gs = SharedPointer(gamma.data), bs = SharedPointer(beta.data)
        let out = Tensor(uninitialized: x.shape)
        let ys = SharedPointer(out.data)
        parallelRanges(n, minimumPerThread: 1) { samples in
            for b in samples {
                var sum = [Double](repeating: 0, count: groups), squares = [Double](repeating: 0, count: groups)
                for p in 0..<pixels {
                    let r = xs.base + (b * pixels + p) * c
                    for ch in 0..<c { let v = Double(r[ch]); sum[ch / size] += v; squares[ch / size] += v * v }
                }
                for group in 0..<groups {
                    let m = sum[group] / perGroup
                    st[(b * groups + group) * 2] = Float(m)
                    st[(b * groups + group) * 2 + 1] = Float(1 / (max(squares[group] / perGroup - m * m, 0) + Double(epsilon)).squareRoot())
                }
                for p in 0..<pixels {
                    let i0 = (b * pixels + p) * c
                    for ch in 0..<c {
                        let s = (b * groups + ch / size) * 2
                        ys[i0 + ch] = (xs[i0 + ch] - st[s]) * st[s + 1] * gs[ch] + bs[ch]
                    }
                }
            }
        }
        return out.recording("groupNorm", [x, gamma, beta]) { g in
            let grad = SharedPointer(g)
            // Per-sample partial dγ, dβ (rows of `partials`), summed after the parallel part.
            let partials = Tensor(zeros: [n, 2, c])
            let ps = SharedPointer(partials.data)
            let dx = x.requiresGrad ? SharedPointer(x.gradBuffer()) : nil
            parallelRanges(n, minimumPerThread: 1) { samples in
                for b in samples {
                    var sumG = [Double](repeating: 0, count: groups), sumGX = [Double](repeating: 0, count: groups)
                    let dGamma = ps.base + b * 2 * c, dBeta = dGamma + c
                    for p in 0..<pixels {
                        let i0 = (b * pixels + p) * c
                        for ch in 0..<c {
                            let s = (b * groups + ch / size) * 2
                            let xhat = (xs[i0 + ch] - st[s]) * st[s + 1]
                            let gh = grad[i0 + ch] * gs[ch]  // gradient at x̂
                            sumG[ch / size] += Double(gh); sumGX[ch / size] += Double(gh * xhat)
                            dGamma[ch] += grad[i0 + ch] * xhat
                            dBeta[ch] += grad[i0 + ch]
                        }
                    }
                    guard let dx else { continue }
                    for p in 0..<pixels {
                        let i0 = (b * pixels + p) * c
                        for ch in 0..<c {
                            let group = ch / size, s = (b * groups + group) * 2
                            let xhat = (xs[i0 + ch] - st[s]) * st[s + 1]
                            let gh = grad[i0 + ch] * gs[ch]
                            dx[i0 + ch] += st[s + 1] * (gh - Float(sumG[group] / perGroup) - xhat * Float(sumGX[group] / perGroup))
                        }
                    }
                }
            }
            if gamma.requiresGrad { let d = gamma.gradBuffer(); for b in 0..<n { addInPlace(partials.data + b * 2 * c, d, c) } }
            if beta.requiresGrad { let d = beta.gradBuffer(); for b in 0..<n { addInPlace(partials.data + b * 2 * c + c, d, c) } }
        }
    }
}

/// Per-channel Σa and Σa·b over `rows` rows of `channels` (pass b = a for Σa²), split over
/// the threads, summed per block of rows in Float and across blocks in Double.
func channelSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, channels c: Int) -> ([Double], [Double]) {
    let parts = min(Threads.count, max(1, rows / 256))
    // [part][first | second][channel] in Double, plus a Float block buffer per part.
    let totals = UnsafeMutablePointer<Double>.allocate(capacity: parts * 2 * c)
    totals.initialize(repeating: 0, count: parts * 2 * c)
    defer { totals.deallocate() }
    let blocks = Tensor(zeros: [parts, 2, c])
    let ts = SharedPointer(totals), bs = SharedPointer(blocks.data), sa = SharedPointer(a), sb = SharedPointer(b)
    parallelTasks(parts) { part in
        let range = (rows * part / parts)..<(rows * (part + 1) / parts)
        let first = ts.base + part * 2 * c, second = first + c
        let f = bs.base + part * 2 * c, s = f + c
        var row = range.lowerBound
        while row < range.upperBound {
            let end = min(row + 64, range.upperBound)
            f.update(repeating: 0, count: 2 * c)
            for r in row..<end {
                let pa = sa.base + r * c, pb = sb.base + r * c
                var ch = 0
                while ch + 16 <= c {
                    let va = loadVec(pa + ch)
                    storeVec(loadVec(f + ch) + va, f + ch)
                    storeVec(loadVec(s + ch) + va * loadVec(pb + ch), s + ch)
                    ch += 16
                }
                while ch < c { f[ch] += pa[ch]; s[ch] += pa[ch] * pb[ch]; ch += 1 }
            }
            for ch in 0..<c { first[ch] += Double(f[ch]); second[ch] += Double(s[ch]) }
            row = end
        }
    }
    var first = [Double](repeating: 0, count: c), second = [Double](repeating: 0, count: c)
    for part in 0..<parts {
        for ch in 0..<c { first[ch] += totals[part * 2 * c + ch]; second[ch] += totals[part * 2 * c + c + ch] }
    }
    return (first, second)
}

/// out = scale ⊙ v + xScale ⊙ x + shift per channel (xScale nil: no x term), over rows in
/// parallel; with `accumulate`, adds to out instead.
func channelAffineSweep(_ v: UnsafePointer<Float>, _ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, rows: Int,
                        channels c: Int, scale: [Float], shift: [Float], xScale: [Float]?, accumulate: Bool = false) {
    let vs = SharedPointer(v), os = SharedPointer(out), xs = x.map { SharedPointer($0) }
    scale.withUnsafeBufferPointer { scaleBuffer in
        shift.withUnsafeBufferPointer { shiftBuffer in
            (xScale ?? []).withUnsafeBufferPointer { xScaleBuffer in
                let a = SharedPointer(scaleBuffer.baseAddress!), b = SharedPointer(shiftBuffer.baseAddress!)
                let k = xScaleBuffer.baseAddress.map { SharedPointer($0) }
                parallelRanges(rows, minimumPerThread: 512) { range in
                    for row in range {
                        let pv = vs.base + row * c, po = os.base + row * c, px = xs.map { $0.base + row * c }
                        var ch = 0
                        while ch + 16 <= c {
                            var value = loadVec(a.base + ch) * loadVec(pv + ch) + loadVec(b.base + ch)
                            if let px, let k { value += loadVec(k.base + ch) * loadVec(px + ch) }
                            if accumulate { value += loadVec(po + ch) }
                            storeVec(value, po + ch)
                            ch += 16
                        }
                        while ch < c {
                            var value = a[ch] * pv[ch] + b[ch]
                            if let px, let k { value += k[ch] * px[ch] }
                            po[ch] = accumulate ? po[ch] + value : value
                            ch += 1
                        }
                    }
                }
            }
        }
    }
}
