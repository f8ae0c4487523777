import Foundation

/// Weight initialisers (PyTorch's definitions: fan_in = KH·KW·Cin for a conv).
public enum Initializer {
    /// Kaiming/He normal for ReLU networks: std = √(2 / fan_in).
    public static func kaimingNormal<G: RandomNumberGenerator>(_ shape: [Int], fanIn: Int, using generator: inout G) -> Tensor {
        Tensor.randn(shape, std: (2 / Float(max(fanIn, 1))).squareRoot(), using: &generator, requiresGrad: true)
    }

    /// Xavier/Glorot uniform: U(±√(6 / (fan_in + fan_out))).
    public static func xavierUniform<G: RandomNumberGenerator>(_ shape: [Int], fanIn: Int, fanOut: Int, using generator: inout G) -> Tensor {
        let bound = (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
        return Tensor.uniform(shape, in: -bound...bound, using: &generator, requiresGrad: true)
    }
}

/// A layer or a composition of layers with named parameters (`conv1.weight`), buffers
/// (`bn.running_mean`) and a train/eval mode.
open class Module {
    public private(set) var training = true

    public init() {}

    open func forward(_ x: Tensor) throws(LearningError) -> Tensor { x }

    /// Trainable tensors owned directly by this module.
    open var localParameters: [(String, Tensor)] { [] }
    /// Non-trainable state saved with the weights (running statistics).
    open var localBuffers: [(String, Tensor)] { [] }
    /// Sub-modules, in order.
    open var children: [(String, Module)] { [] }

    public func callAsFunction(_ x: Tensor) throws(LearningError) -> Tensor { try forward(x) }

    public func namedParameters() -> [(String, Tensor)] { collect(\.localParameters) }
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }
    /// Parameters and buffers: what a weight file holds.
    public func stateDict() -> [(String, Tensor)] { collect(\.localParameters) + collect(\.localBuffers) }

    private func collect(_ own: (Module) -> [(String, Tensor)]) -> [(String, Tensor)] {
        var result = own(self)
        for (name, child) in children {
            result += child.collect(own).map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    public func setTraining(_ on: Bool) {
        training = on
        for (_, child) in children { child.setTraining(on) }
    }

    /// Frozen parameters get no gradient and are skipped by optimisers.
    public func setFrozen(_ frozen: Bool) {
        for parameter in parameters() { parameter.requiresGrad = !frozen }
    }

    public func zeroGrad() { for parameter in parameters() { parameter.zeroGrad() } }

    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Parameter count and forward FLOPs (2 per multiply-add of GEMM-based ops: convs and
    /// matmuls; elementwise ops are not counted) for one input of `inputShape`.
    public func summary(inputShape: [Int]) throws(LearningError) -> ModelSummary {
        let input = Tensor(zeros: inputShape)
        var outputShape: [Int] = []
        let flops = try FLOPCounter.count { () throws(LearningError) in
            try Autograd.noGrad { () throws(LearningError) in outputShape = try forward(input).shape }
        }
        let lines = namedParameters().map { "\($0.0) \($0.1.shape)" }
        return ModelSummary(parameters: parameterCount, forwardFLOPs: flops, inputShape: inputShape, outputShape: outputShape, lines: lines)
    }
}

public struct ModelSummary: Sendable, CustomStringConvertible {
    public var parameters: Int
    public var forwardFLOPs: Double
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var lines: [String]

    public var description: String {
        (lines + [String(format: "%d parameters, %.2f GFLOP forward for input %@ → %@", parameters, forwardFLOPs / 1e9,
                         "\(inputShape)", "\(outputShape)")]).joined(separator: "\n")
    }
}

/// Conv2d in NHWC/HWIO with an optional fused ReLU. Kaiming-normal weights, zero bias.
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int
    public let activation: FusedActivation

    public init<G: RandomNumberGenerator>(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                                          dilation: Int = 1, bias: Bool = true, activation: FusedActivation = .none,
                                          using generator: inout G) {
        weight = Initializer.kaimingNormal([kernel, kernel, inChannels, outChannels], fanIn: kernel * kernel * inChannels, using: &generator)
        self.bias = bias ? Tensor(zeros: [outChannels], requiresGrad: true) : nil
        self.stride = stride
        self.padding = padding ?? dilation * (kernel - 1) / 2
        self.dilation = dilation
        self.activation = activation
    }

    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        try F.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, activation: activation)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
}

/// Batch norm over NHWC channels with running statistics.
public final class BatchNorm2d: Module {
    public let gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor
    public let momentum: Float, epsilon: Float

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        gamma = Tensor(shape: [channels], repeating: 1, requiresGrad: true)
        beta = Tensor(zeros: [channels], requiresGrad: true)
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(shape: [channels], repeating: 1)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        try F.batchNorm(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar, training: training,
                        momentum: momentum, epsilon: epsilon)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", gamma), ("bias", beta)] }
    public override var localBuffers: [(String, Tensor)] { [("running_mean", runningMean), ("running_var", runningVar)] }
}

public final class GroupNorm: Module {
    public let groups: Int
    public let gamma: Tensor, beta: Tensor

    public init(groups: Int, channels: Int) {
        self.groups = groups
        gamma = Tensor(shape: [channels], repeating: 1, requiresGrad: true)
        beta = Tensor(zeros: [channels], requiresGrad: true)
    }

    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        try F.groupNorm(x, groups: groups, gamma: gamma, beta: beta)
    }

    public override var localParameters: [(String, Tensor)] { [("weight", gamma), ("bias", beta)] }
}

/// A parameter-free layer from a function (activations, pooling, upsampling).
public final class Lambda: Module {
    private let body: (Tensor) throws(LearningError) -> Tensor
    public init(_ body: @escaping (Tensor) throws(LearningError) -> Tensor) { self.body = body }
    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor { try body(x) }

    public static var relu: Lambda { Lambda { F.relu($0) } }
    public static func maxPool(_ kernel: Int = 2) -> Lambda { Lambda { x throws(LearningError) in try F.maxPool2d(x, kernel: kernel) } }
    public static func upsampleBilinear(_ factor: Int = 2) -> Lambda {
        Lambda { x throws(LearningError) in try F.upsampleBilinear(x, factor: factor) }
    }
    public static func upsampleNearest(_ factor: Int = 2) -> Lambda {
        Lambda { x throws(LearningError) in try F.upsampleNearest(x, factor: factor) }
    }
}

/// Named layers applied in order.
public final class Sequential: Module {
    public let layers: [(String, Module)]
    public init(_ layers: [(String, Module)]) { self.layers = layers }

    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        var y = x
        for (_, layer) in layers { y = try layer.forward(y) }
        return y
    }

    public override var children: [(String, Module)] { layers }
}
