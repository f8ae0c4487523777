import Learning

/// Shapes of the refiner and discriminator; saved in the model file so `apply` rebuilds
/// the same networks.
public struct RefinerArchitecture: Sendable, Equatable, Codable {
    public var refinerWidth = 32
    public var residualBlocks = 3
    public var discriminatorWidth = 32
    public init() {}
}

/// conv–ReLU–conv plus the input, then ReLU (SimGAN's ResNet block).
final class ResidualBlock: Module {
    let first: Conv2d, second: Conv2d

    init<G: RandomNumberGenerator>(channels: Int, using rng: inout G) {
        first = Conv2d(channels, channels, kernel: 3, activation: .relu, using: &rng)
        second = Conv2d(channels, channels, kernel: 3, using: &rng)
    }

    override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        F.relu(try F.add(x, try second(try first(x))))
    }

    override var children: [(String, Module)] { [("conv1", first), ("conv2", second)] }
}

/// The refiner R: fully convolutional, any image size, output = input + a learned residual.
/// The residual's last conv starts at zero, so R starts as the identity and the
/// self-regularisation term is zero before training moves it.
public final class RefinerNetwork: Module {
    let stem: Conv2d
    let blocks: [ResidualBlock]
    let head: Conv2d

    public init<G: RandomNumberGenerator>(_ architecture: RefinerArchitecture, using rng: inout G) {
        stem = Conv2d(3, architecture.refinerWidth, kernel: 3, activation: .relu, using: &rng)
        blocks = (0..<architecture.residualBlocks).map { _ in ResidualBlock(channels: architecture.refinerWidth, using: &rng) }
        head = Conv2d(architecture.refinerWidth, 3, kernel: 1, using: &rng)
        head.weight.data.update(repeating: 0, count: head.weight.count)
    }

    /// x: [N, H, W, 3] in [−1, 1] → refined [N, H, W, 3].
    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        var h = try stem(x)
        for block in blocks { h = try block(h) }
        return try F.add(x, try head(h))
    }

    public override var children: [(String, Module)] {
        [("stem", stem)] + blocks.enumerated().map { ("block\($0.offset)", $0.element) } + [("head", head)]
    }
}

/// The patch discriminator D: logits [N, H/4, W/4, 1], each the log-odds that its receptive
/// field (~ 19×19 px) is synthetic (refined) rather than real.
public final class PatchDiscriminator: Module {
    let layers: [Conv2d]

    public init<G: RandomNumberGenerator>(_ architecture: RefinerArchitecture, using rng: inout G) {
        let w = architecture.discriminatorWidth
        layers = [Conv2d(3, w, kernel: 3, stride: 2, using: &rng),
                  Conv2d(w, 2 * w, kernel: 3, stride: 2, using: &rng),
                  Conv2d(2 * w, 2 * w, kernel: 3, using: &rng),
                  Conv2d(2 * w, 1, kernel: 1, using: &rng)]
    }

    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        var h = x
        for (index, layer) in layers.enumerated() {
            h = try layer(h)
            if index + 1 < layers.count { h = F.leakyRelu(h, slope: 0.2) }
        }
        return h
    }

    public override var children: [(String, Module)] { layers.enumerated().map { ("conv\($0.offset)", $0.element) } }
}
