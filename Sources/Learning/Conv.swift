/// What a conv applies to its output before anything else sees it. Fusing the activation
/// into the conv's epilogue saves one full read and write of the activation.
public enum FusedActivation: Sendable {
    case none, relu
}

/// Geometry of one 2-D convolution in NHWC/HWIO.
struct ConvGeometry {
    let n, h, w, cin, cout, kh, kw, stride, padding, dilation, oh, ow: Int
    var k: Int { kh * kw * cin }
    var outPixels: Int { n * oh * ow }
    var inPixels: Int { n * h * w }
    /// A 1×1, stride 1, unpadded conv reads its input rows as the GEMM operand directly.
    var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && padding == 0 }
}

/// Tunables of the conv kernels (exposed for the benchmark).
public enum ConvTuning {
    /// Floats of im2col workspace per GEMM block. 128 Ki floats = 512 KiB keeps a block of
    /// columns in the 2 MiB L2 of one core next to the packed weights and the output rows.
    nonisolated(unsafe) public static var blockFloats = 131_072
}

extension F {
    /// 2-D convolution (cross-correlation, as in PyTorch), optionally with bias and a fused
    /// ReLU. Shapes: x [N, H, W, Cin], weight [KH, KW, Cin, Cout], bias [Cout]
    /// → [N, OH, OW, Cout], OH = (H + 2·padding − dilation·(KH−1) − 1)/stride + 1.
    ///
    /// Forward: blocks of output pixels are im2col'ed into a cache-sized workspace and
    /// multiplied by the weight viewed as [KH·KW·Cin, Cout]; bias and activation run on the
    /// block while it is in cache. Backward recomputes the columns (cheaper than storing
    /// them: ~0.6 GB for one layer of the benchmark) for dW, and computes dX as a gather
    /// ("transposed im2col" over the output gradient) times the flipped weight, so threads
    /// write disjoint rows of dX with no scatter races.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                              dilation: Int = 1, activation: FusedActivation = .none) throws(LearningError) -> Tensor {
        let geometry = try convGeometry(x, weight, bias, stride: stride, padding: padding, dilation: dilation)
        let out = Tensor(uninitialized: [geometry.n, geometry.oh, geometry.ow, geometry.cout])
        convForward(geometry, x.data, weight.data, bias?.data, out.data, activation)
        FLOPCounter.add(2 * Double(geometry.outPixels) * Double(geometry.k) * Double(geometry.cout))
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let saved = out.storage
        return out.recording("conv2d", inputs) { g in
            convBackward(geometry, x: x, weight: weight, bias: bias, out: saved.pointer, g: g, activation: activation)
        }
    }

    static func convGeometry(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: Int, padding: Int,
                             dilation: Int) throws(LearningError) -> ConvGeometry {
        guard x.rank == 4, weight.rank == 4 else {
            throw .shapeMismatch(op: "conv2d", detail: "x must be [N, H, W, Cin] and weight [KH, KW, Cin, Cout]",
                                 shapes: [x.shape, weight.shape])
        }
        guard x.shape[3] == weight.shape[2] else {
            throw .shapeMismatch(op: "conv2d", detail: "input channels \(x.shape[3]) ≠ weight input channels \(weight.shape[2])",
                                 shapes: [x.shape, weight.shape])
        }
        if let bias, bias.shape != [weight.shape[3]] {
            throw .shapeMismatch(op: "conv2d", detail: "bias must be [Cout]", shapes: [weight.shape, bias.shape])
        }
        guard stride >= 1, dilation >= 1, padding >= 0 else {
            throw .invalidArgument(op: "conv2d", detail: "stride \(stride), dilation \(dilation) must be ≥ 1 and padding \(padding) ≥ 0")
        }
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout) = (weight.shape[0], weight.shape[1], weight.shape[3])
        let oh = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
        let ow = (w + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
        guard oh > 0, ow > 0, h + 2 * padding >= dilation * (kh - 1) + 1, w + 2 * padding >= dilation * (kw - 1) + 1 else {
            throw .shapeMismatch(op: "conv2d", detail: "kernel larger than padded input", shapes: [x.shape, weight.shape])
        }
        return ConvGeometry(n: n, h: h, w: w, cin: cin, cout: cout, kh: kh, kw: kw, stride: stride, padding: padding,
                            dilation: dilation, oh: oh, ow: ow)
    }
}

/// Rows of a GEMM block so that its operand stays near `ConvTuning.blockFloats`.
@inline(__always)
func blockRows(_ k: Int) -> Int { max(16, min(8192, ConvTuning.blockFloats / max(k, 1))) }

func convForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ out: UnsafeMutablePointer<Float>, _ activation: FusedActivation) {
    let xs = SharedPointer(x), ws = SharedPointer(weight), ys = SharedPointer(out)
    let bs = bias.map { SharedPointer($0) }
    let k = g.k, block = blockRows(k)
    parallelRanges(g.outPixels, minimumPerThread: 256) { range in
        let workspace = g.isPointwise ? nil : BufferPool.shared.take(block * k)
        defer { if let workspace { BufferPool.shared.give(workspace, block * k) } }
        var start = range.lowerBound
        while start < range.upperBound {
            let rows = min(block, range.upperBound - start)
            let columns: UnsafePointer<Float>
            if let workspace {
                im2col(g, xs.base, rows: start..<(start + rows), into: workspace)
                columns = UnsafePointer(workspace)
            } else {
                columns = UnsafePointer(xs.base + start * g.cin)
            }
            let target = ys.base + start * g.cout
            sgemm(m: rows, n: g.cout, k: k, a: columns, lda: k, b: ws.base, ldb: g.cout, beta: 0, c: target, ldc: g.cout)
            epilogue(target, rows: rows, channels: g.cout, bias: bs?.base, activation: activation)
            start += rows
        }
    }
}

/// Adds the bias and applies the activation on rows just written by the GEMM.
@inline(__always)
func epilogue(_ y: UnsafeMutablePointer<Float>, rows: Int, channels: Int, bias: UnsafePointer<Float>?, activation: FusedActivation) {
    switch (bias, activation) {
    case (nil, .none): return
    case let (bias?, .none):
        for row in 0..<rows { let r = y + row * channels; for c in 0..<channels { r[c] += bias[c] } }
    case (nil, .relu):
        for i in 0..<(rows * channels) { y[i] = max(y[i], 0) }
    case let (bias?, .relu):
        for row in 0..<rows { let r = y + row * channels; for c in 0..<channels { r[c] = max(r[c] + bias[c], 0) } }
    }
}

/// Writes the receptive fields of output pixels `rows` as rows of `columns` [rows, KH·KW·Cin]
/// (tap-major, channel-minor, matching the HWIO weight viewed as [K, Cout]).
func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
    let cin = g.cin, k = g.k, span = g.kw * cin
    var ox = rows.lowerBound % g.ow
    var oy = (rows.lowerBound / g.ow) % g.oh
    var n = rows.lowerBound / (g.ow * g.oh)
    for r in 0..<rows.count {
        var d = columns + r * k
        let iy0 = oy * g.stride - g.padding, ix0 = ox * g.stride - g.padding
        for kh in 0..<g.kh {
            let iy = iy0 + kh * g.dilation
            if iy < 0 || iy >= g.h {
                d.update(repeating: 0, count: span)
                d += span
                continue
            }
            let line = x + (n * g.h + iy) * g.w * cin
            if g.dilation == 1, ix0 >= 0, ix0 + g.kw <= g.w {
                // The whole kernel row is one contiguous run of NHWC memory.
                d.update(from: line + ix0 * cin, count: span)
                d += span
                continue
            }
            for kw in 0..<g.kw {
                let ix = ix0 + kw * g.dilation
                if ix < 0 || ix >= g.w { d.update(repeating: 0, count: cin) } else { d.update(from: line + ix * cin, count: cin) }
                d += cin
            }
        }
        ox += 1
        if ox == g.ow { ox = 0; oy += 1; if oy == g.oh { oy = 0; n += 1 } }
    }
}

/// For input pixels `rows`, gathers the output-gradient pixels each one fed, as rows of
/// [KH·KW·Cout] with kernel columns in reverse order (so that for stride 1 a kernel row is
/// one contiguous run of the gradient). Taps that no output pixel used are zero.
func transposedIm2col(_ g: ConvGeometry, _ grad: UnsafePointer<Float>, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
    let cout = g.cout, k = g.kh * g.kw * cout, span = g.kw * cout
    var x = rows.lowerBound % g.w
    var y = (rows.lowerBound / g.w) % g.h
    var n = rows.lowerBound / (g.w * g.h)
    for r in 0..<rows.count {
        var d = columns + r * k
        for kh in 0..<g.kh {
            let oyScaled = y + g.padding - kh * g.dilation
            let oy = oyScaled / g.stride
            if oyScaled < 0 || oyScaled % g.stride != 0 || oy >= g.oh {
                d.update(repeating: 0, count: span)
                d += span
                continue
            }
            let line = grad + (n * g.oh + oy) * g.ow * cout
            let firstOx = x + g.padding - (g.kw - 1) * g.dilation
            if g.stride == 1, g.dilation == 1, firstOx >= 0, firstOx + g.kw <= g.ow {
                d.update(from: line + firstOx * cout, count: span)
                d += span
                continue
            }
            for reversed in 0..<g.kw {
                let kw = g.kw - 1 - reversed
                let oxScaled = x + g.padding - kw * g.dilation
                let ox = oxScaled / g.stride
                if oxScaled < 0 || oxScaled % g.stride != 0 || ox >= g.ow {
                    d.update(repeating: 0, count: cout)
                } else {
                    d.update(from: line + ox * cout, count: cout)
                }
                d += cout
            }
        }
        x += 1
        if x == g.w { x = 0; y += 1; if y == g.h { y = 0; n += 1 } }
    }
}

func convBackward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, out: UnsafePointer<Float>,
                  g gradOut: UnsafePointer<Float>, activation: FusedActivation) {
    let total = g.outPixels * g.cout
    // The gradient at the conv's pre-activation output.
    var masked: Tensor?
    if activation == .relu {
        let m = Tensor(uninitialized: [total])
        let ms = SharedPointer(m.data), gs = SharedPointer(gradOut), ys = SharedPointer(out)
        parallelElements(total) { range in for i in range { ms[i] = ys[i] > 0 ? gs[i] : 0 } }
        masked = m
    }
    let gy = SharedPointer(masked?.data ?? UnsafeMutablePointer(mutating: gradOut))
    let xs = SharedPointer(x.data)
    let threads = min(Threads.count, max(1, g.outPixels / 256))
    let k = g.k, cout = g.cout

    if weight.requiresGrad || (bias?.requiresGrad ?? false) {
        let wantsWeight = weight.requiresGrad
        // Each thread sums into its own [K + 1, Cout] partial (last row: bias).
        let partials = Tensor(zeros: [threads, k + 1, cout])
        let ps = SharedPointer(partials.data)
        let block = blockRows(k)
        parallelTasks(threads) { t in
            let range = (g.outPixels * t / threads)..<(g.outPixels * (t + 1) / threads)
            let dW = ps.base + t * (k + 1) * cout, dB = dW + k * cout
            let workspace = (g.isPointwise || !wantsWeight) ? nil : BufferPool.shared.take(block * k)
            defer { if let workspace { BufferPool.shared.give(workspace, block * k) } }
            var start = range.lowerBound
            while start < range.upperBound {
                let rows = min(block, range.upperBound - start)
                let gRows = gy.base + start * cout
                if wantsWeight {
                    let columns: UnsafePointer<Float>
                    if let workspace {
                        im2col(g, xs.base, rows: start..<(start + rows), into: workspace)
                        columns = UnsafePointer(workspace)
                    } else {
                        columns = UnsafePointer(xs.base + start * g.cin)
                    }
                    // dW[K, Cout] += columnsᵀ · gRows
                    sgemm(transA: true, m: k, n: cout, k: rows, a: columns, lda: k, b: gRows, ldb: cout, beta: 1, c: dW, ldc: cout)
                }
                for row in 0..<rows { let r = gRows + row * cout; for c in 0..<cout { dB[c] += r[c] } }
                start += rows
            }
        }
        if weight.requiresGrad {
            let dW = weight.gradBuffer()
            for t in 0..<threads { let p = partials.data + t * (k + 1) * cout; for i in 0..<(k * cout) { dW[i] += p[i] } }
        }
        if let bias, bias.requiresGrad {
            let dB = bias.gradBuffer()
            for t in 0..<threads { let p = partials.data + (t * (k + 1) + k) * cout; for c in 0..<cout { dB[c] += p[c] } }
        }
    }

    guard x.requiresGrad else { return }
    let dX = SharedPointer(x.gradBuffer())
    if g.isPointwise {
        // dX[P, Cin] += gy[P, Cout] · Wᵀ
        parallelSgemm(transB: true, m: g.inPixels, n: g.cin, k: cout, a: gy.base, lda: cout, b: weight.data, ldb: cout,
                      beta: 1, c: dX.base, ldc: g.cin)
        return
    }
    // The weight rearranged to [(kh, reversed kw, cout), cin] to match transposedIm2col.
    let k2 = g.kh * g.kw * cout
    let flipped = Tensor(uninitialized: [k2, g.cin])
    for kh in 0..<g.kh {
        for kw in 0..<g.kw {
            let slot = kh * g.kw + (g.kw - 1 - kw)
            for ci in 0..<g.cin {
                let source = weight.data + ((kh * g.kw + kw) * g.cin + ci) * cout
                for co in 0..<cout { flipped.data[(slot * cout + co) * g.cin + ci] = source[co] }
            }
        }
    }
    let fs = SharedPointer(flipped.data)
    let block = blockRows(k2)
    parallelRanges(g.inPixels, minimumPerThread: 256) { range in
        let workspace = BufferPool.shared.take(block * k2)
        defer { BufferPool.shared.give(workspace, block * k2) }
        var start = range.lowerBound
        while start < range.upperBound {
            let rows = min(block, range.upperBound - start)
            transposedIm2col(g, gy.base, rows: start..<(start + rows), into: workspace)
            sgemm(m: rows, n: g.cin, k: k2, a: workspace, lda: k2, b: fs.base, ldb: g.cin, beta: 1,
                  c: dX.base + start * g.cin, ldc: g.cin)
            start += rows
        }
    }
}
