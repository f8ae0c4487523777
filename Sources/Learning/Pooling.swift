/// Indices kept by max pooling for its backward.
final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    deinit { pointer.deallocate() }
}

extension F {
    static func poolGeometry(_ op: String, _ x: Tensor, kernel: Int, stride: Int) throws(LearningError) -> (Int, Int) {
        try requireRank(op, x, 4, "x ([N, H, W, C])")
        guard kernel >= 1, stride >= 1, x.shape[1] >= kernel, x.shape[2] >= kernel else {
            throw .invalidArgument(op: op, detail: "kernel \(kernel), stride \(stride) do not fit input \(x.shape)")
        }
        return ((x.shape[1] - kernel) / stride + 1, (x.shape[2] - kernel) / stride + 1)
    }

    /// Max pooling without padding (floor mode). Shapes: [N, H, W, C] → [N, OH, OW, C],
    /// OH = (H − kernel)/stride + 1. Ties go to the first element, as in PyTorch.
    public static func maxPool2d(_ x: Tensor, kernel: Int = 2, stride: Int? = nil) throws(LearningError) -> Tensor {
        let s = stride ?? kernel
        let (oh, ow) = try poolGeometry("maxPool2d", x, kernel: kernel, stride: s)
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitialized: [n, oh, ow, c])
        let keep = Autograd.needsGraph(x)
        let indices = keep ? IndexBuffer(count: out.count) : nil
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data), ids = indices.map { SharedPointer($0.pointer) }
        parallelRanges(n * oh, minimumPerThread: 8) { lines in
            for line in lines {
                let b = line / oh, oy = line % oh
                for ox in 0..<ow {
                    let o = ((b * oh + oy) * ow + ox) * c
                    let first = ((b * h + oy * s) * w + ox * s) * c
                    for ch in 0..<c { ys[o + ch] = xs[first + ch]; ids?[o + ch] = Int32(first + ch) }
                    for ky in 0..<kernel {
                        for kx in 0..<kernel where ky != 0 || kx != 0 {
                            let i = ((b * h + oy * s + ky) * w + ox * s + kx) * c
                            if let ids {
                                for ch in 0..<c where xs[i + ch] > ys[o + ch] || xs[i + ch].isNaN { ys[o + ch] = xs[i + ch]; ids[o + ch] = Int32(i + ch) }
                            } else {
                                for ch in 0..<c { ys[o + ch] = max(ys[o + ch], xs[i + ch]) }
                            }
                        }
                    }
                }
            }
        }
        guard let indices else { return out }
        let total = out.count
        return out.recording("maxPool2d", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g), ids = SharedPointer(indices.pointer)
            if kernel <= s {
                // Windows do not overlap: every input element has at most one writer.
                parallelElements(total) { range in for o in range { dx[Int(ids[o])] += gs[o] } }
            } else {
                for o in 0..<total { dx[Int(ids[o])] += gs[o] }
            }
        }
    }

    /// Average pooling without padding. Shapes: [N, H, W, C] → [N, OH, OW, C].
    public static func avgPool2d(_ x: Tensor, kernel: Int = 2, stride: Int? = nil) throws(LearningError) -> Tensor {
        let s = stride ?? kernel
        let (oh, ow) = try poolGeometry("avgPool2d", x, kernel: kernel, stride: s)
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(zeros: [n, oh, ow, c])
        let norm = 1 / Float(kernel * kernel)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelRanges(n * oh, minimumPerThread: 8) { lines in
            for line in lines {
                let b = line / oh, oy = line % oh
                for ox in 0..<ow {
                    let o = ((b * oh + oy) * ow + ox) * c
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let i = ((b * h + oy * s + ky) * w + ox * s + kx) * c
                            for ch in 0..<c { ys[o + ch] += xs[i + ch] * norm }
                        }
                    }
                }
            }
        }
        return out.recording("avgPool2d", [x]) { g in
            let dx = x.gradBuffer()
            for b in 0..<n {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let o = ((b * oh + oy) * ow + ox) * c
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let i = ((b * h + oy * s + ky) * w + ox * s + kx) * c
                                for ch in 0..<c { dx[i + ch] += g[o + ch] * norm }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Nearest-neighbour upsampling by an integer factor. Shapes: [N, H, W, C] → [N, f·H, f·W, C].
    public static func upsampleNearest(_ x: Tensor, factor: Int = 2) throws(LearningError) -> Tensor {
        try requireRank("upsampleNearest", x, 4, "x ([N, H, W, C])")
        guard factor >= 1 else { throw .invalidArgument(op: "upsampleNearest", detail: "factor \(factor) must be ≥ 1") }
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h * factor, ow = w * factor
        let out = Tensor(uninitialized: [n, oh, ow, c])
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelRanges(n * oh, minimumPerThread: 8) { lines in
            for line in lines {
                let b = line / oh, oy = line % oh
                let source = xs.base + (b * h + oy / factor) * w * c, target = ys.base + line * ow * c
                for ox in 0..<ow { (target + ox * c).update(from: source + (ox / factor) * c, count: c) }
            }
        }
        return out.recording("upsampleNearest", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g)
            // Gather per input row: each input pixel sums its factor² copies.
            parallelRanges(n * h, minimumPerThread: 8) { lines in
                for line in lines {
                    let b = line / h, iy = line % h
                    for dy in 0..<factor {
                        let source = gs.base + (b * oh + iy * factor + dy) * ow * c
                        for ix in 0..<w {
                            let target = dx.base + (line * w + ix) * c
                            for dxo in 0..<factor {
                                let s = source + (ix * factor + dxo) * c
                                for ch in 0..<c { target[ch] += s[ch] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Bilinear upsampling by an integer factor, PyTorch's `align_corners=False`
    /// (half-pixel centres, source index clamped at 0). Shapes: [N, H, W, C] → [N, f·H, f·W, C].
    public static func upsampleBilinear(_ x: Tensor, factor: Int = 2) throws(LearningError) -> Tensor {
        try requireRank("upsampleBilinear", x, 4, "x ([N, H, W, C])")
        guard factor >= 1 else { throw .invalidArgument(op: "upsampleBilinear", detail: "factor \(factor) must be ≥ 1") }
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h * factor, ow = w * factor
        let ys = bilinearTaps(out: oh, in: h, factor: factor), xt = bilinearTaps(out: ow, in: w, factor: factor)
        let out = Tensor(uninitialized: [n, oh, ow, c])
        let xs = SharedPointer(x.data), os = SharedPointer(out.data)
        parallelRanges(n * oh, minimumPerThread: 8) { lines in
            for line in lines {
                let b = line / oh, oy = line % oh
                let (y0, y1, ly) = ys[oy]
                let r0 = xs.base + (b * h + y0) * w * c, r1 = xs.base + (b * h + y1) * w * c
                let target = os.base + line * ow * c
                for ox in 0..<ow {
                    let (x0, x1, lx) = xt[ox]
                    let w00 = (1 - ly) * (1 - lx), w01 = (1 - ly) * lx, w10 = ly * (1 - lx), w11 = ly * lx
                    let a = r0 + x0 * c, bb = r0 + x1 * c, cc = r1 + x0 * c, d = r1 + x1 * c, t = target + ox * c
                    for ch in 0..<c { t[ch] = w00 * a[ch] + w01 * bb[ch] + w10 * cc[ch] + w11 * d[ch] }
                }
            }
        }
        return out.recording("upsampleBilinear", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g)
            // Scatter; threads own disjoint channel ranges so writes never collide.
            let parts = min(Threads.count, c)
            parallelTasks(parts) { part in
                let c0 = c * part / parts, c1 = c * (part + 1) / parts
                for b in 0..<n {
                    for oy in 0..<oh {
                        let (y0, y1, ly) = ys[oy]
                        let r0 = dx.base + (b * h + y0) * w * c, r1 = dx.base + (b * h + y1) * w * c
                        let source = gs.base + (b * oh + oy) * ow * c
                        for ox in 0..<ow {
                            let (x0, x1, lx) = xt[ox]
                            let w00 = (1 - ly) * (1 - lx), w01 = (1 - ly) * lx, w10 = ly * (1 - lx), w11 = ly * lx
                            let s = source + ox * c
                            for ch in c0..<c1 {
                                let v = s[ch]
                                r0[x0 * c + ch] += w00 * v; r0[x1 * c + ch] += w01 * v
                                r1[x0 * c + ch] += w10 * v; r1[x1 * c + ch] += w11 * v
                            }
                        }
                    }
                }
            }
        }
    }
}

/// For each output coordinate: the two source coordinates and the weight of the second.
func bilinearTaps(out: Int, in size: Int, factor: Int) -> [(Int, Int, Float)] {
    (0..<out).map { o in
        let source = max((Float(o) + 0.5) / Float(factor) - 0.5, 0)
        let i0 = min(Int(source), size - 1)
        let i1 = min(i0 + 1, size - 1)
        return (i0, i1, source - Float(i0))
    }
}
