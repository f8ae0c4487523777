import Learning
import Randomness

/// 3×3 conv (no bias: BN follows) + batch norm + ReLU, repeated.
final class ConvBlock: Module {
    let convs: [Conv2d]
    let norms: [BatchNorm2d]

    init<G: RandomNumberGenerator>(_ input: Int, _ output: Int, layers: Int, using generator: inout G) {
        var convs: [Conv2d] = [], norms: [BatchNorm2d] = []
        for index in 0..<layers {
            convs.append(Conv2d(index == 0 ? input : output, output, kernel: 3, bias: false, using: &generator))
            norms.append(BatchNorm2d(output))
        }
        self.convs = convs
        self.norms = norms
    }

    override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        var y = x
        if !training && !Autograd.isEnabled {
            // Inference: batch norm folded into the conv and ReLU fused into its epilogue,
            // which saves two full passes over every activation (they dominate memory
            // traffic on 1000×1000 tiles). Folded each call: weights change during training.
            for (conv, norm) in zip(convs, norms) {
                let (weight, bias) = Self.folded(conv, norm)
                y = try F.conv2d(y, weight: weight, bias: bias, stride: conv.stride, padding: conv.padding,
                                 dilation: conv.dilation, activation: .relu)
            }
            return y
        }
        for (conv, norm) in zip(convs, norms) { y = F.relu(try norm(try conv(y))) }
        return y
    }

    /// Conv weights and bias equal to conv followed by eval-mode batch norm:
    /// scale = γ/√(var + ε) per output channel, W' = W·scale, b' = β + (b − μ)·scale.
    static func folded(_ conv: Conv2d, _ norm: BatchNorm2d) -> (Tensor, Tensor) {
        let outputs = conv.weight.shape[3]
        let weight = conv.weight.copy(), bias = Tensor(zeros: [outputs])
        var scale = [Float](repeating: 0, count: outputs)
        for c in 0..<outputs {
            scale[c] = norm.gamma.data[c] / (norm.runningVar.data[c] + norm.epsilon).squareRoot()
            let convBias = conv.bias?.data[c] ?? 0
            bias.data[c] = norm.beta.data[c] + (convBias - norm.runningMean.data[c]) * scale[c]
        }
        for row in 0..<(weight.count / outputs) {
            let base = weight.data + row * outputs
            for c in 0..<outputs { base[c] *= scale[c] }
        }
        return (weight, bias)
    }

    override var children: [(String, Module)] {
        convs.indices.flatMap { [("conv\($0)", convs[$0] as Module), ("bn\($0)", norms[$0] as Module)] }
    }
}

/// One output branch: a 3×3 conv block, then a 1×1 conv to the branch's channels.
final class Head: Module {
    let block: ConvBlock
    let output: Conv2d

    init<G: RandomNumberGenerator>(_ input: Int, width: Int, outputs: Int, using generator: inout G) {
        block = ConvBlock(input, width, layers: 1, using: &generator)
        output = Conv2d(width, outputs, kernel: 1, using: &generator)
    }

    override func forward(_ x: Tensor) throws(LearningError) -> Tensor { try output(try block(x)) }
    override var children: [(String, Module)] { [("block", block), ("out", output)] }
}

/// The three branches' raw outputs, NHWC at input resolution.
public struct HoVerNetOutput {
    /// NP logits [N, H, W, 2] (channel 1 = nucleus).
    public var np: Tensor
    /// HV maps [N, H, W, 2] (channel 0 = horizontal, 1 = vertical); linear, as in the reference.
    public var hv: Tensor
    /// NC logits [N, H, W, typeClasses] when the model has an NC head.
    public var nc: Tensor?
}

/// A HoVer-Net (Graham et al. 2019) scaled for CPUs: a U-Net encoder-decoder shared by the
/// branches, with separate NP, HV and optional NC heads.
///
/// Decoder level: 1×1 conv to the skip's width, bilinear ×2, concat with the skip, conv
/// block. The reference upsamples first; a 1×1 conv (bias included) commutes with bilinear
/// upsampling because the interpolation weights sum to 1, so convolving first computes the
/// same function at a quarter of the cost.
public final class HoVerNetModel: Module {
    public let configuration: HoVerNetConfiguration
    let encoder: [ConvBlock]
    let reducers: [Conv2d]
    let decoder: [ConvBlock]
    let npHead: Head, hvHead: Head
    let ncHead: Head?

    /// Kaiming-initialised weights from `seed` (deterministic).
    public init(configuration: HoVerNetConfiguration = HoVerNetConfiguration(), seed: UInt64 = 0) throws(HoVerNetError) {
        try configuration.validate()
        self.configuration = configuration
        var generator = SplitMix64(seed: seed)
        let widths = configuration.widths
        var encoder: [ConvBlock] = []
        for (level, width) in widths.enumerated() {
            encoder.append(ConvBlock(level == 0 ? 3 : widths[level - 1], width, layers: configuration.encoderConvs,
                                     using: &generator))
        }
        var reducers: [Conv2d] = [], decoder: [ConvBlock] = []
        // Decoder levels from the deepest skip up: level i joins widths[i] (skip) with the
        // reduced output of level i + 1.
        for level in stride(from: widths.count - 2, through: 0, by: -1) {
            reducers.append(Conv2d(widths[level + 1], widths[level], kernel: 1, using: &generator))
            decoder.append(ConvBlock(2 * widths[level], widths[level], layers: configuration.decoderConvs, using: &generator))
        }
        self.encoder = encoder
        self.reducers = reducers
        self.decoder = decoder
        npHead = Head(widths[0], width: configuration.headWidth, outputs: 2, using: &generator)
        hvHead = Head(widths[0], width: configuration.headWidth, outputs: 2, using: &generator)
        ncHead = configuration.typeClasses > 0
            ? Head(widths[0], width: configuration.headWidth, outputs: configuration.typeClasses, using: &generator) : nil
        super.init()
    }

    override public var children: [(String, Module)] {
        var result: [(String, Module)] = encoder.enumerated().map { ("enc\($0.offset)", $0.element as Module) }
        for index in reducers.indices {
            result.append(("reduce\(index)", reducers[index]))
            result.append(("dec\(index)", decoder[index]))
        }
        result.append(("np", npHead))
        result.append(("hv", hvHead))
        if let ncHead { result.append(("nc", ncHead)) }
        return result
    }

    /// The shared decoder's output for x [N, H, W, 3] (values in 0...1).
    func features(_ x: Tensor) throws(LearningError) -> Tensor {
        let multiple = configuration.sizeMultiple
        guard x.rank == 4, x.shape[3] == 3, x.shape[1] % multiple == 0, x.shape[2] % multiple == 0 else {
            throw .shapeMismatch(op: "HoVerNet", detail: "input must be [N, H, W, 3] with H and W multiples of \(multiple)",
                                 shapes: [x.shape])
        }
        var skips: [Tensor] = []
        var y = x
        for (level, block) in encoder.enumerated() {
            if level > 0 { y = try F.maxPool2d(y, kernel: 2) }
            y = try block(y)
            skips.append(y)
        }
        for (index, level) in stride(from: encoder.count - 2, through: 0, by: -1).enumerated() {
            y = try F.upsampleBilinear(try reducers[index](y), factor: 2)
            y = try decoder[index](try F.concat([y, skips[level]], axis: 3))
        }
        return y
    }

    /// All branches for x [N, H, W, 3] with values in 0...1.
    public func heads(_ x: Tensor) throws(LearningError) -> HoVerNetOutput {
        let shared = try features(x)
        return HoVerNetOutput(np: try npHead(shared), hv: try hvHead(shared), nc: try ncHead.map { h throws(LearningError) in try h(shared) })
    }

    /// NP logits, HV maps and NC logits concatenated on channels (for summaries and FLOP counts).
    override public func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        let out = try heads(x)
        return try F.concat([out.np, out.hv] + (out.nc.map { [$0] } ?? []), axis: 3)
    }
}

