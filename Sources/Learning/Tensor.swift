import Foundation

/// A Float32 tensor: contiguous row-major storage plus autograd bookkeeping.
///
/// Layout: feature maps are NHWC (`[batch, height, width, channels]`), conv weights HWIO
/// (`[kh, kw, in, out]`). Channels-last makes every conv a GEMM over `[pixels, channels]`
/// rows with no transposes (a 1×1 conv is literally one sgemm on the activation), lets
/// bias + activation fuse on the GEMM's output rows while they are in cache, and gives
/// per-channel ops unit-stride inner loops; PyTorch measured 1.8× faster training with
/// channels-last on this machine (DESIGN.md). Tools that exchange NCHW permute at the edge.
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    let storage: Storage
    /// Whether backward computes a gradient for this tensor (leaf parameters, or any
    /// result of an op on such a tensor while gradients are enabled).
    public var requiresGrad: Bool
    /// Keep `grad` on this non-leaf tensor after backward (e.g. to read the gradient
    /// with respect to an intermediate feature).
    public var retainsGrad = false
    /// Accumulated gradient, same shape; nil until a backward reaches this tensor.
    public internal(set) var grad: Tensor?
    /// The op that produced this tensor, when it is part of a recorded graph.
    var node: Node?
    /// A name for error messages and weight files.
    public var name: String?

    init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// An uninitialised tensor for kernels that write every element.
    init(uninitialized shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = Storage(count: count, zeroed: false)
        self.requiresGrad = false
    }

    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *), zeroed: true), requiresGrad: requiresGrad)
    }

    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        self.init(zeros: shape, requiresGrad: requiresGrad)
        data.update(repeating: value, count: count)
    }

    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) throws(LearningError) {
        let expected = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument(op: "Tensor", detail: "negative dimension in shape \(shape)")
        }
        guard values.count == expected else {
            throw .shapeMismatch(op: "Tensor", detail: "\(values.count) values for \(expected) elements", shapes: [shape])
        }
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { data.update(from: base, count: expected) }
        }
    }

    public static func scalar(_ value: Float) -> Tensor {
        Tensor(shape: [], repeating: value)
    }

    /// Normal(0, std) values from `generator` (Box–Muller, so runs are reproducible).
    public static func randn<G: RandomNumberGenerator>(_ shape: [Int], std: Float = 1, using generator: inout G,
                                                       requiresGrad: Bool = false) -> Tensor {
        let tensor = Tensor(zeros: shape, requiresGrad: requiresGrad)
        var index = 0
        while index < tensor.count {
            let u1 = Float.random(in: Float.ulpOfOne..<1, using: &generator)
            let u2 = Float.random(in: 0..<1, using: &generator)
            let radius = (-2 * Foundation.log(u1)).squareRoot() * std
            tensor.data[index] = radius * Foundation.cos(2 * .pi * u2)
            if index + 1 < tensor.count { tensor.data[index + 1] = radius * Foundation.sin(2 * .pi * u2) }
            index += 2
        }
        return tensor
    }

    public static func uniform<G: RandomNumberGenerator>(_ shape: [Int], in range: ClosedRange<Float>, using generator: inout G,
                                                         requiresGrad: Bool = false) -> Tensor {
        let tensor = Tensor(zeros: shape, requiresGrad: requiresGrad)
        for index in 0..<tensor.count { tensor.data[index] = Float.random(in: range, using: &generator) }
        return tensor
    }

    /// Raw element pointer (row-major). Writing through it bypasses autograd.
    public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// A copy of the elements.
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public var rank: Int { shape.count }

    /// The single value of a one-element tensor.
    public var item: Float { data[0] }

    /// A tensor sharing this one's storage, outside any graph (PyTorch's `detach`).
    public func detached(requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A deep copy outside any graph.
    public func copy() -> Tensor {
        let result = Tensor(uninitialized: shape)
        result.data.update(from: data, count: count)
        return result
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Overwrites the elements with `other`'s (same shape), outside autograd.
    public func assign(_ other: Tensor) throws(LearningError) {
        guard other.shape == shape else {
            throw .shapeMismatch(op: "assign", detail: "shapes differ", shapes: [shape, other.shape])
        }
        data.update(from: other.data, count: count)
    }

    /// Throws when any element is NaN or ±Inf.
    public func checkFinite(_ op: String) throws(LearningError) {
        for index in 0..<count where !data[index].isFinite {
            throw .nonFinite(op: op, detail: "\(name ?? "tensor") \(shape) has \(data[index]) at flat index \(index)")
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = values.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(preview)\(count > 8 ? ", ..." : "")]"
    }
}
