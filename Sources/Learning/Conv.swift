import Synchronization

/// What a conv applies to its output before anything else sees it. Fusing the activation
/// into the conv's epilogue saves one full read and write of the activation.
public enum FusedActivation: Sendable {
    case none, relu
}

/// Geometry of one 2-D convolution in NHWC/HWIO.
struct ConvGeometry {
    let n, h, w, cin, cout, kh, kw, stride, padding, dilation, oh, ow, groups: Int
    /// Channels per group: group i maps input channels [i·cinG, (i+1)·cinG) to output
    /// channels [i·coutG, (i+1)·coutG).
    var cinG: Int { cin / groups }
    var coutG: Int { cout / groups }
    /// GEMM depth of one group: one receptive field.
    var k: Int { kh * kw * cinG }
    var outPixels: Int { n * oh * ow }
    var inPixels: Int { n * h * w }
    /// A 1×1, stride 1, unpadded conv reads its input rows as the GEMM operand directly.
    var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && padding == 0 }
}

/// Tunables of the conv kernels (exposed for the benchmark).
public enum ConvTuning {
    private static let block = Atomic<Int>(131_072)

    /// Floats of im2col workspace per GEMM block. 128 Ki floats = 512 KiB keeps a block of
    /// columns in the 2 MiB L2 of one core next to the packed weights and the output rows.
    public static var blockFloats: Int {
        get { block.load(ordering: .relaxed) }
        set { block.store(max(1, newValue), ordering: .relaxed) }
    }
}

extension F {
    /// 2-D convolution (cross-correlation, as in PyTorch), optionally with bias and a fused
    /// ReLU. Shapes: x [N, H, W, Cin], weight [KH, KW, Cin/groups, Cout], bias [Cout]
    /// → [N, OH, OW, Cout], OH = (H + 2·padding − dilation·(KH−1) − 1)/stride + 1.
    /// Grouped convs run one GEMM per group on strided channel slices (no copies of the
    /// weight or output); depthwise convs work but are GEMM-poor (N = 1 per group).
    ///
    /// Forward: blocks of output pixels are im2col'ed into a cache-sized workspace and
    /// multiplied by the weight viewed as [KH·KW·Cin, Cout]; bias and activation run on the
    /// block while it is in cache. Backward recomputes the columns (cheaper than storing
    /// them: ~0.6 GB for one layer of the benchmark) for dW, and computes dX as a gather
    /// ("transposed im2col" over the output gradient) times the flipped weight, so threads
    /// write disjoint rows of dX with no scatter races.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                              dilation: Int = 1, groups: Int = 1, activation: FusedActivation = .none) throws(LearningError) -> Tensor {
        let geometry = try convGeometry(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
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
                             dilation: Int, groups: Int) throws(LearningError) -> ConvGeometry {
        guard x.rank == 4, weight.rank == 4 else {
            throw .shapeMismatch(op: "conv2d", detail: "x must be [N, H, W, Cin] and weight [KH, KW, Cin, Cout]",
                                 shapes: [x.shape, weight.shape])
        }
        guard groups >= 1, x.shape[3] % groups == 0, weight.shape[3] % groups == 0 else {
            throw .shapeMismatch(op: "conv2d", detail: "\(groups) groups must divide input and output channels",
                                 shapes: [x.shape, weight.shape])
        }
        guard x.shape[3] == weight.shape[2] * groups else {
            throw .shapeMismatch(op: "conv2d", detail: "input channels \(x.shape[3]) ≠ weight input channels \(weight.shape[2]) × \(groups) groups",
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
                            dilation: dilation, oh: oh, ow: ow, groups: groups)
    }
}

/// Rows of a GEMM block so that its operand stays near `ConvTuning.blockFloats`.
@inline(__always)
func blockRows(_ k: Int) -> Int { max(16, min(8192, ConvTuning.blockFloats / max(k, 1))) }

/// The GEMM operand [rows, K] of one group for output pixels `rows` and its leading
/// dimension: unfolded into `workspace`, or — for pointwise convolutions, which pass none —
/// the input rows themselves, read in place.
@inline(__always)
func groupColumns(_ g: ConvGeometry, _ x: UnsafePointer<Float>, group: Int, rows: Range<Int>,
                  workspace: UnsafeMutablePointer<Float>?) -> (UnsafePointer<Float>, Int) {
    guard let workspace else { return (x + rows.lowerBound * g.cin + group * g.cinG, g.cin) }
    im2col(g, x, group: group, rows: rows, into: workspace)
    return (UnsafePointer(workspace), g.k)
}

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
            let target = ys.base + start * g.cout
            for group in 0..<g.groups {
                let (columns, lda) = groupColumns(g, xs.base, group: group, rows: start..<(start + rows), workspace: workspace)
                sgemm(m: rows, n: g.coutG, k: k, a: columns, lda: lda, b: ws.base + group * g.coutG, ldb: g.cout, beta: 0,
                      c: target + group * g.coutG, ldc: g.cout)
            }
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

/// Writes the receptive fields of output pixels `rows` in the channels of `group` as rows of
/// `columns` [rows, KH·KW·Cin/groups] (tap-major, channel-minor, matching the HWIO weight
/// viewed as [K, Cout]).
func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, group: Int, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
    let cin = g.cin, cg = g.cinG, k = g.k, span = g.kw * cg
    let x = x + group * cg
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
            if g.groups == 1, g.dilation == 1, ix0 >= 0, ix0 + g.kw <= g.w {
                // The whole kernel row is one contiguous run of NHWC memory.
                d.update(from: line + ix0 * cin, count: span)
                d += span
                continue
            }
            for kw in 0..<g.kw {
                let ix = ix0 + kw * g.dilation
                if ix < 0 || ix >= g.w { d.update(repeating: 0, count: cg) } else { d.update(from: line + ix * cin, count: cg) }
                d += cg
            }
        }
        ox += 1
        if ox == g.ow { ox = 0; oy += 1; if oy == g.oh { oy = 0; n += 1 } }
    }
}

/// For input pixels `rows`, gathers the output-gradient pixels each one fed, as rows of
/// [KH·KW·Cout] with kernel columns in reverse order (so that for stride 1 a kernel row is
/// one contiguous run of the gradient). Taps that no output pixel used are zero.
/// With `reluOutput`, each gathered gradient is masked by that output being positive (the
/// backward of a fused ReLU).
func transposedIm2col(_ g: ConvGeometry, _ grad: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?, group: Int,
                      rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
    let shift = group * g.coutG
    @inline(__always) func copy(_ offset: Int, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
        let offset = offset + shift
        if let reluOutput { reluGradient(grad + offset, reluOutput + offset, target, count) } else { target.update(from: grad + offset, count: count) }
    }
    let cout = g.cout, cg = g.coutG, k = g.kh * g.kw * cg, span = g.kw * cg
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
            let line = (n * g.oh + oy) * g.ow * cout
            let firstOx = x + g.padding - (g.kw - 1) * g.dilation
            if g.groups == 1, g.stride == 1, g.dilation == 1, firstOx >= 0, firstOx + g.kw <= g.ow {
                copy(line + firstOx * cout, d, span)
                d += span
                continue
            }
            for reversed in 0..<g.kw {
                let kw = g.kw - 1 - reversed
                let oxScaled = x + g.padding - kw * g.dilation
                let ox = oxScaled / g.stride
                if oxScaled < 0 || oxScaled % g.stride != 0 || ox >= g.ow {
                    d.update(repeating: 0, count: cg)
                } else {
                    copy(line + ox * cout, d, cg)
                }
                d += cg
            }
        }
        x += 1
        if x == g.w { x = 0; y += 1; if y == g.h { y = 0; n += 1 } }
    }
}

func convBackward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, out: UnsafePointer<Float>,
                  g gradOut: UnsafePointer<Float>, activation: FusedActivation) {
    // With a fused ReLU the gradient at the pre-activation is g masked by y > 0. It is formed
    // block by block in cache (dW) or while gathering (dX), never as a full-size tensor.
    let relu = activation == .relu
    let gy = SharedPointer(gradOut), ys = SharedPointer(out)
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
            let maskedBlock = relu ? BufferPool.shared.take(block * cout) : nil
            defer {
                if let workspace { BufferPool.shared.give(workspace, block * k) }
                if let maskedBlock { BufferPool.shared.give(maskedBlock, block * cout) }
            }
            var start = range.lowerBound
            while start < range.upperBound {
                let rows = min(block, range.upperBound - start)
                var gRows = UnsafePointer(gy.base + start * cout)
                if let maskedBlock {
                    reluGradient(gRows, ys.base + start * cout, maskedBlock, rows * cout)
                    gRows = UnsafePointer(maskedBlock)
                }
                if wantsWeight {
                    for group in 0..<g.groups {
                        let (columns, lda) = groupColumns(g, xs.base, group: group, rows: start..<(start + rows), workspace: workspace)
                        // dW[K, group's Cout] += columnsᵀ · gRows[:, group's Cout]
                        sgemm(transA: true, m: k, n: g.coutG, k: rows, a: columns, lda: lda, b: gRows + group * g.coutG, ldb: cout,
                              beta: 1, c: dW + group * g.coutG, ldc: cout)
                    }
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
        // dX[P, Cin] += g'[P, Cout] · Wᵀ, block by block so the masked gradient stays in cache.
        let ws = SharedPointer(weight.data)
        let block = blockRows(cout)
        parallelRanges(g.inPixels, minimumPerThread: 256) { range in
            let maskedBlock = relu ? BufferPool.shared.take(block * cout) : nil
            defer { if let maskedBlock { BufferPool.shared.give(maskedBlock, block * cout) } }
            var start = range.lowerBound
            while start < range.upperBound {
                let rows = min(block, range.upperBound - start)
                var gRows = UnsafePointer(gy.base + start * cout)
                if let maskedBlock {
                    reluGradient(gRows, ys.base + start * cout, maskedBlock, rows * cout)
                    gRows = UnsafePointer(maskedBlock)
                }
                for group in 0..<g.groups {
                    sgemm(transB: true, m: rows, n: g.cinG, k: g.coutG, a: gRows + group * g.coutG, lda: cout,
                          b: ws.base + group * g.coutG, ldb: cout, beta: 1, c: dX.base + start * g.cin + group * g.cinG, ldc: g.cin)
                }
                start += rows
            }
        }
        return
    }
    // Per group, the weight rearranged to [(kh, reversed kw, coutG), cinG] to match
    // transposedIm2col.
    let (cinG, coutG) = (g.cinG, g.coutG)
    let k2 = g.kh * g.kw * coutG
    let flipped = Tensor(uninitialized: [g.groups, k2, cinG])
    for group in 0..<g.groups {
        let target = flipped.data + group * k2 * cinG
        for kh in 0..<g.kh {
            for kw in 0..<g.kw {
                let slot = kh * g.kw + (g.kw - 1 - kw)
                for ci in 0..<cinG {
                    let source = weight.data + ((kh * g.kw + kw) * cinG + ci) * cout + group * coutG
                    for co in 0..<coutG { target[(slot * coutG + co) * cinG + ci] = source[co] }
                }
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
            for group in 0..<g.groups {
                transposedIm2col(g, gy.base, reluOutput: relu ? ys.base : nil, group: group, rows: start..<(start + rows),
                                 into: workspace)
                sgemm(m: rows, n: cinG, k: k2, a: workspace, lda: k2, b: fs.base + group * k2 * cinG, ldb: cinG, beta: 1,
                      c: dX.base + start * g.cin + group * cinG, ldc: g.cin)
            }
            start += rows
        }
    }
}
