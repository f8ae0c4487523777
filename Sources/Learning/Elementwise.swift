import Foundation

/// Functional ops (PyTorch's `torch.nn.functional` in spirit). Each forward notes the
/// shapes; the closure passed to `recording` is its backward.
public enum F {}

// MARK: Shape helpers

@inline(__always)
func requireSameShape(_ op: String, _ a: Tensor, _ b: Tensor) throws(LearningError) {
    guard a.shape == b.shape else {
        throw .shapeMismatch(op: op, detail: "operands must have the same shape", shapes: [a.shape, b.shape])
    }
}

@inline(__always)
func requireRank(_ op: String, _ tensor: Tensor, _ rank: Int, _ what: String) throws(LearningError) {
    guard tensor.rank == rank else {
        throw .shapeMismatch(op: op, detail: "\(what) must have rank \(rank)", shapes: [tensor.shape])
    }
}

/// Elementwise map with a parallel split; `body` sees disjoint ranges.
@inline(__always)
func parallelElements(_ count: Int, _ body: (Range<Int>) -> Void) {
    parallelRanges(count, minimumPerThread: 65_536, body)
}

extension F {
    // MARK: Activations

    /// y = max(x, 0). Shapes: any → same.
    public static func relu(_ x: Tensor) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelElements(x.count) { range in for i in range { ys[i] = max(xs[i], 0) } }
        let ysaved = out.storage
        return out.recording("relu", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g), y = SharedPointer(ysaved.pointer)
            parallelElements(x.count) { range in
                reluGradientAdd(gs.base + range.lowerBound, y.base + range.lowerBound, dx.base + range.lowerBound, range.count)
            }
        }
    }

    /// y = x for x > 0, slope·x otherwise. Shapes: any → same.
    public static func leakyRelu(_ x: Tensor, slope: Float = 0.01) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelElements(x.count) { range in for i in range { ys[i] = xs[i] > 0 ? xs[i] : slope * xs[i] } }
        return out.recording("leakyRelu", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g)
            parallelElements(x.count) { range in for i in range { dx[i] += xs[i] > 0 ? gs[i] : slope * gs[i] } }
        }
    }

    /// y = 1/(1+e^(−x)). Shapes: any → same.
    public static func sigmoid(_ x: Tensor) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelElements(x.count) { range in for i in range { ys[i] = stableSigmoid(xs[i]) } }
        let saved = out.storage
        return out.recording("sigmoid", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g), y = SharedPointer(saved.pointer)
            parallelElements(x.count) { range in for i in range { dx[i] += gs[i] * y[i] * (1 - y[i]) } }
        }
    }

    /// y = tanh(x). Shapes: any → same.
    public static func tanh(_ x: Tensor) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelElements(x.count) { range in for i in range { ys[i] = Foundation.tanh(xs[i]) } }
        let saved = out.storage
        return out.recording("tanh", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g), y = SharedPointer(saved.pointer)
            parallelElements(x.count) { range in for i in range { dx[i] += gs[i] * (1 - y[i] * y[i]) } }
        }
    }

    /// Softmax over the last axis. Shapes: [..., C] → same.
    public static func softmax(_ x: Tensor) throws(LearningError) -> Tensor {
        guard x.rank >= 1, let classes = x.shape.last, classes > 0 else {
            throw .invalidArgument(op: "softmax", detail: "needs a non-empty last axis, got \(x.shape)")
        }
        let out = Tensor(uninitialized: x.shape)
        rowSoftmax(x.data, out.data, rows: x.count / classes, classes: classes, log: false)
        let saved = out.storage
        return out.recording("softmax", [x]) { g in
            let dx = x.gradBuffer(), y = saved.pointer
            // dx = y ⊙ (g − Σ g·y) per row.
            for row in 0..<(x.count / classes) {
                let base = row * classes
                var dot: Float = 0
                for c in 0..<classes { dot += g[base + c] * y[base + c] }
                for c in 0..<classes { dx[base + c] += y[base + c] * (g[base + c] - dot) }
            }
        }
    }

    /// log-softmax over the last axis. Shapes: [..., C] → same.
    public static func logSoftmax(_ x: Tensor) throws(LearningError) -> Tensor {
        guard x.rank >= 1, let classes = x.shape.last, classes > 0 else {
            throw .invalidArgument(op: "logSoftmax", detail: "needs a non-empty last axis, got \(x.shape)")
        }
        let out = Tensor(uninitialized: x.shape)
        rowSoftmax(x.data, out.data, rows: x.count / classes, classes: classes, log: true)
        let saved = out.storage
        return out.recording("logSoftmax", [x]) { g in
            let dx = x.gradBuffer(), y = saved.pointer
            // dx = g − softmax · Σ g per row.
            for row in 0..<(x.count / classes) {
                let base = row * classes
                var total: Float = 0
                for c in 0..<classes { total += g[base + c] }
                for c in 0..<classes { dx[base + c] += g[base + c] - Foundation.exp(y[base + c]) * total }
            }
        }
    }

    // MARK: Binary ops with broadcasting

    /// a + b with NumPy broadcasting. Shapes: broadcast(a, b).
    public static func add(_ a: Tensor, _ b: Tensor) throws(LearningError) -> Tensor {
        if a.shape == b.shape { return sameShape(.add, a, b) }
        return try binary("add", a, b, forward: { $0 + $1 }, da: { g, _, _ in g }, db: { g, _, _ in g })
    }

    /// a − b with NumPy broadcasting.
    public static func sub(_ a: Tensor, _ b: Tensor) throws(LearningError) -> Tensor {
        if a.shape == b.shape { return sameShape(.sub, a, b) }
        return try binary("sub", a, b, forward: { $0 - $1 }, da: { g, _, _ in g }, db: { g, _, _ in -g })
    }

    /// a ⊙ b with NumPy broadcasting.
    public static func mul(_ a: Tensor, _ b: Tensor) throws(LearningError) -> Tensor {
        if a.shape == b.shape { return sameShape(.mul, a, b) }
        return try binary("mul", a, b, forward: { $0 * $1 }, da: { g, _, y in g * y }, db: { g, x, _ in g * x })
    }

    /// x · s for a constant s.
    public static func scale(_ x: Tensor, by factor: Float) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        parallelElements(x.count) { range in for i in range { ys[i] = xs[i] * factor } }
        return out.recording("scale", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g)
            parallelElements(x.count) { range in for i in range { dx[i] += gs[i] * factor } }
        }
    }

    /// Per-channel affine map on the last axis: y = x·scale[c] + bias[c] (f-BRS applies it to
    /// a backbone feature and optimises only scale and bias). Shapes: x [..., C], scale [C],
    /// bias [C] → [..., C].
    public static func channelAffine(_ x: Tensor, scale: Tensor, bias: Tensor) throws(LearningError) -> Tensor {
        guard let channels = x.shape.last, scale.shape == [channels], bias.shape == [channels] else {
            throw .shapeMismatch(op: "channelAffine", detail: "scale and bias must be [C] for x [..., C]",
                                 shapes: [x.shape, scale.shape, bias.shape])
        }
        let out = Tensor(uninitialized: x.shape)
        let rows = x.count / max(channels, 1)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data), s = SharedPointer(scale.data), b = SharedPointer(bias.data)
        parallelRanges(rows, minimumPerThread: 1024) { range in
            for row in range {
                let base = row * channels
                for c in 0..<channels { ys[base + c] = xs[base + c] * s[c] + b[c] }
            }
        }
        return out.recording("channelAffine", [x, scale, bias]) { g in
            if x.requiresGrad {
                let dx = x.gradBuffer()
                for row in 0..<rows { for c in 0..<channels { dx[row * channels + c] += g[row * channels + c] * s[c] } }
            }
            if scale.requiresGrad || bias.requiresGrad {
                var dScale = [Double](repeating: 0, count: channels), dBias = [Double](repeating: 0, count: channels)
                for row in 0..<rows {
                    for c in 0..<channels {
                        let gv = Double(g[row * channels + c])
                        dScale[c] += gv * Double(xs[row * channels + c])
                        dBias[c] += gv
                    }
                }
                if scale.requiresGrad { let ds = scale.gradBuffer(); for c in 0..<channels { ds[c] += Float(dScale[c]) } }
                if bias.requiresGrad { let db = bias.gradBuffer(); for c in 0..<channels { db[c] += Float(dBias[c]) } }
            }
        }
    }

    // MARK: Reductions

    /// Σ of all elements. Shapes: any → [].
    public static func sum(_ x: Tensor) -> Tensor {
        var total = 0.0
        for i in 0..<x.count { total += Double(x.data[i]) }
        let out = Tensor.scalar(Float(total))
        return out.recording("sum", [x]) { g in
            let dx = x.gradBuffer(), gv = g[0]
            for i in 0..<x.count { dx[i] += gv }
        }
    }

    /// Mean of all elements. Shapes: any → [].
    public static func mean(_ x: Tensor) -> Tensor {
        scale(sum(x), by: 1 / Float(max(x.count, 1)))
    }

    /// Σ along `axis`. Shapes: [..., A, ...] → [..., ...] (the axis removed).
    public static func sum(_ x: Tensor, axis: Int) throws(LearningError) -> Tensor {
        guard axis >= 0, axis < x.rank else {
            throw .invalidArgument(op: "sum", detail: "axis \(axis) out of range for shape \(x.shape)")
        }
        let outer = x.shape[..<axis].reduce(1, *), length = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        var shape = x.shape
        shape.remove(at: axis)
        let out = Tensor(zeros: shape)
        for o in 0..<outer {
            for a in 0..<length {
                let source = x.data + (o * length + a) * inner, target = out.data + o * inner
                for i in 0..<inner { target[i] += source[i] }
            }
        }
        return out.recording("sumAxis", [x]) { g in
            let dx = x.gradBuffer()
            for o in 0..<outer {
                for a in 0..<length {
                    let target = dx + (o * length + a) * inner, source = g + o * inner
                    for i in 0..<inner { target[i] += source[i] }
                }
            }
        }
    }

    /// Mean along `axis`.
    public static func mean(_ x: Tensor, axis: Int) throws(LearningError) -> Tensor {
        let total = try sum(x, axis: axis)
        return scale(total, by: 1 / Float(max(x.shape[axis], 1)))
    }

    // MARK: Shape ops

    /// The same elements under another shape (storage shared). One dimension may be −1.
    public static func reshape(_ x: Tensor, _ shape: [Int]) throws(LearningError) -> Tensor {
        var resolved = shape
        let known = shape.filter { $0 != -1 }.reduce(1, *)
        if let hole = shape.firstIndex(of: -1) {
            guard shape.filter({ $0 == -1 }).count == 1, known > 0, x.count % known == 0 else {
                throw .shapeMismatch(op: "reshape", detail: "cannot infer −1", shapes: [x.shape, shape])
            }
            resolved[hole] = x.count / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == x.count else {
            throw .shapeMismatch(op: "reshape", detail: "element counts differ", shapes: [x.shape, shape])
        }
        let out = Tensor(shape: resolved, storage: x.storage)
        return out.recording("reshape", [x]) { g in
            let dx = x.gradBuffer()
            for i in 0..<x.count { dx[i] += g[i] }
        }
    }

    /// Reorders axes: result axis i is input axis `axes[i]` (PyTorch's `permute`), e.g.
    /// [0, 2, 3, 1] takes NCHW to NHWC and [2, 3, 1, 0] an OIHW conv weight to HWIO.
    /// Shapes: [d0, ..., dn] → [d_axes[0], ..., d_axes[n]].
    public static func permute(_ x: Tensor, _ axes: [Int]) throws(LearningError) -> Tensor {
        guard axes.sorted() == Array(0..<x.rank) else {
            throw .invalidArgument(op: "permute", detail: "axes \(axes) are not a permutation of 0..<\(x.rank) for shape \(x.shape)")
        }
        let shape = axes.map { x.shape[$0] }
        var inputStrides = [Int](repeating: 1, count: x.rank)
        for axis in stride(from: x.rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * x.shape[axis + 1] }
        // Walking the output in order, the input index moves by the permuted strides.
        let permutedStrides = axes.map { inputStrides[$0] }
        let zeros = [Int](repeating: 0, count: x.rank)
        let out = Tensor(uninitialized: shape)
        forEachBroadcast(shape, permutedStrides, zeros) { i, source, _ in out.data[i] = x.data[source] }
        return out.recording("permute", [x]) { g in
            let dx = x.gradBuffer()
            forEachBroadcast(shape, permutedStrides, zeros) { i, source, _ in dx[source] += g[i] }
        }
    }

    /// Joins tensors along `axis`; other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) throws(LearningError) -> Tensor {
        guard let first = tensors.first, axis >= 0, axis < first.rank else {
            throw .invalidArgument(op: "concat", detail: "needs tensors and an axis within their rank")
        }
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            guard a.count == b.count else {
                throw .shapeMismatch(op: "concat", detail: "ranks differ", shapes: tensors.map(\.shape))
            }
            a[axis] = 0; b[axis] = 0
            guard a == b else {
                throw .shapeMismatch(op: "concat", detail: "dimensions other than axis \(axis) differ", shapes: tensors.map(\.shape))
            }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let outRow = shape[axis] * inner
        let out = Tensor(uninitialized: shape)
        var offset = 0
        var offsets: [Int] = []
        let ys = SharedPointer(out.data)
        // Channel concat in NHWC copies one short run per pixel: split the pixels over threads.
        let grain = max(1, 16_384 / max(outRow, 1))
        for tensor in tensors {
            let row = tensor.shape[axis] * inner, xs = SharedPointer(tensor.data), start = offset
            parallelRanges(outer, minimumPerThread: grain) { range in
                for o in range { (ys.base + o * outRow + start).update(from: xs.base + o * row, count: row) }
            }
            offsets.append(offset)
            offset += row
        }
        return out.recording("concat", tensors) { g in
            let gs = SharedPointer(g)
            for (index, tensor) in tensors.enumerated() where tensor.requiresGrad {
                let row = tensor.shape[axis] * inner, dx = SharedPointer(tensor.gradBuffer()), start = offsets[index]
                parallelRanges(outer, minimumPerThread: grain) { range in
                    for o in range { addInPlace(gs.base + o * outRow + start, dx.base + o * row, row) }
                }
            }
        }
    }

    /// Elements `range` along `axis`. Shapes: [..., A, ...] → [..., range.count, ...].
    public static func slice(_ x: Tensor, axis: Int, range: Range<Int>) throws(LearningError) -> Tensor {
        guard axis >= 0, axis < x.rank, range.lowerBound >= 0, range.upperBound <= x.shape[axis] else {
            throw .invalidArgument(op: "slice", detail: "range \(range) on axis \(axis) outside shape \(x.shape)")
        }
        var shape = x.shape
        shape[axis] = range.count
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let inRow = x.shape[axis] * inner, outRow = range.count * inner, start = range.lowerBound * inner
        let out = Tensor(uninitialized: shape)
        let xs = SharedPointer(x.data), ys = SharedPointer(out.data)
        let grain = max(1, 16_384 / max(outRow, 1))
        parallelRanges(outer, minimumPerThread: grain) { range in
            for o in range { (ys.base + o * outRow).update(from: xs.base + o * inRow + start, count: outRow) }
        }
        return out.recording("slice", [x]) { g in
            let dx = SharedPointer(x.gradBuffer()), gs = SharedPointer(g)
            parallelRanges(outer, minimumPerThread: grain) { range in
                for o in range { addInPlace(gs.base + o * outRow, dx.base + o * inRow + start, outRow) }
            }
        }
    }

    /// Matrix product. Shapes: a [M, K] · b [K, N] → [M, N].
    public static func matmul(_ a: Tensor, _ b: Tensor) throws(LearningError) -> Tensor {
        guard a.rank == 2, b.rank == 2, a.shape[1] == b.shape[0] else {
            throw .shapeMismatch(op: "matmul", detail: "needs [M, K] · [K, N]", shapes: [a.shape, b.shape])
        }
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let out = Tensor(uninitialized: [m, n])
        parallelSgemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, beta: 0, c: out.data, ldc: n)
        FLOPCounter.add(2 * Double(m * n * k))
        return out.recording("matmul", [a, b]) { g in
            if a.requiresGrad { // dA[M, K] += g[M, N] · bᵀ
                parallelSgemm(transB: true, m: m, n: k, k: n, a: g, lda: n, b: b.data, ldb: n, beta: 1, c: a.gradBuffer(), ldc: k)
            }
            if b.requiresGrad { // dB[K, N] += aᵀ · g
                sgemm(transA: true, m: k, n: n, k: m, a: a.data, lda: k, b: g, ldb: n, beta: 1, c: b.gradBuffer(), ldc: n)
            }
        }
    }
}

// MARK: Kernels

@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

func rowSoftmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, classes: Int, log: Bool) {
    let xs = SharedPointer(x), ys = SharedPointer(y)
    parallelRanges(rows, minimumPerThread: 4096) { range in
        for row in range {
            let base = row * classes
            var peak = -Float.infinity
            for c in 0..<classes { peak = max(peak, xs[base + c]) }
            var total: Float = 0
            for c in 0..<classes { total += Foundation.exp(xs[base + c] - peak) }
            if log {
                let logTotal = Foundation.log(total) + peak
                for c in 0..<classes { ys[base + c] = xs[base + c] - logTotal }
            } else {
                for c in 0..<classes { ys[base + c] = Foundation.exp(xs[base + c] - peak) / total }
            }
        }
    }
}

/// NumPy broadcasting of two shapes, or nil when they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let da = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let db = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { return nil }
        result[axis] = da == 1 ? db : da
    }
    return result
}

/// Element strides of `shape` viewed in `outShape`, with 0 on broadcast axes.
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: outShape.count)
    var step = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        let outAxis = axis + outShape.count - shape.count
        strides[outAxis] = shape[axis] == 1 ? 0 : step
        step *= shape[axis]
    }
    return strides
}

/// Visits every output index with the matching flat indices of both inputs.
func forEachBroadcast(_ outShape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let total = outShape.reduce(1, *)
    guard total > 0 else { return }
    var index = [Int](repeating: 0, count: outShape.count)
    var ia = 0, ib = 0
    for flat in 0..<total {
        body(flat, ia, ib)
        var axis = outShape.count - 1
        while axis >= 0 {
            index[axis] += 1
            ia += sa[axis]; ib += sb[axis]
            if index[axis] < outShape[axis] { break }
            ia -= sa[axis] * outShape[axis]; ib -= sb[axis] * outShape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

extension F {
    static func binary(_ op: String, _ a: Tensor, _ b: Tensor, forward: @escaping (Float, Float) -> Float,
                       da: @escaping (Float, Float, Float) -> Float, db: @escaping (Float, Float, Float) -> Float) throws(LearningError) -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw .shapeMismatch(op: op, detail: "shapes do not broadcast", shapes: [a.shape, b.shape])
        }
        let out = Tensor(uninitialized: shape)
        if a.shape == b.shape {
            let xa = SharedPointer(a.data), xb = SharedPointer(b.data), y = SharedPointer(out.data)
            parallelElements(out.count) { range in for i in range { y[i] = forward(xa[i], xb[i]) } }
        } else {
            let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
            forEachBroadcast(shape, sa, sb) { i, ia, ib in out.data[i] = forward(a.data[ia], b.data[ib]) }
        }
        return out.recording(op, [a, b]) { g in
            let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
            if a.requiresGrad {
                let dx = a.gradBuffer()
                forEachBroadcast(shape, sa, sb) { i, ia, ib in dx[ia] += da(g[i], a.data[ia], b.data[ib]) }
            }
            if b.requiresGrad {
                let dx = b.gradBuffer()
                forEachBroadcast(shape, sa, sb) { i, ia, ib in dx[ib] += db(g[i], a.data[ia], b.data[ib]) }
            }
        }
    }
}

enum BinaryKind { case add, sub, mul }

extension F {
    /// Equal shapes (residual adds, masks): vector loops, no per-element closure calls.
    static func sameShape(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) -> Tensor {
        let out = Tensor(uninitialized: a.shape)
        let xa = SharedPointer(a.data), xb = SharedPointer(b.data), y = SharedPointer(out.data)
        parallelElements(out.count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let u = loadVec(xa.base + i), v = loadVec(xb.base + i)
                switch kind {
                case .add: storeVec(u + v, y.base + i)
                case .sub: storeVec(u - v, y.base + i)
                case .mul: storeVec(u * v, y.base + i)
                }
                i += 16
            }
            while i < range.upperBound {
                switch kind {
                case .add: y[i] = xa[i] + xb[i]
                case .sub: y[i] = xa[i] - xb[i]
                case .mul: y[i] = xa[i] * xb[i]
                }
                i += 1
            }
        }
        let name = kind == .add ? "add" : (kind == .sub ? "sub" : "mul")
        return out.recording(name, [a, b]) { g in
            let gs = SharedPointer(g)
            for (input, other, sign) in [(a, b, Float(1)), (b, a, kind == .sub ? Float(-1) : 1)] where input.requiresGrad {
                let dx = SharedPointer(input.gradBuffer()), os = SharedPointer(other.data)
                parallelElements(input.count) { range in
                    for i in range { dx[i] += kind == .mul ? gs[i] * os[i] : sign * gs[i] }
                }
            }
        }
    }
}
