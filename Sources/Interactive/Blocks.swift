import Learning

/// Conv (no bias) + batch norm, optionally followed by ReLU.
final class ConvBN: Module {
    let conv: Conv2d
    let norm: BatchNorm2d
    let relu: Bool

    init<G: RandomNumberGenerator>(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, relu: Bool,
                                   using generator: inout G) {
        conv = Conv2d(input, output, kernel: kernel, stride: stride, bias: false, using: &generator)
        norm = BatchNorm2d(output)
        self.relu = relu
    }

    override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        let y = try norm(conv(x))
        return relu ? F.relu(y) : y
    }

    override var children: [(String, Module)] { [("conv", conv), ("bn", norm)] }
}

/// HRNet's basic block: relu(x + bn(conv(relu(bn(conv(x)))))).
final class ResidualBlock: Module {
    let first: ConvBN, second: ConvBN

    init<G: RandomNumberGenerator>(_ channels: Int, using generator: inout G) {
        first = ConvBN(channels, channels, kernel: 3, relu: true, using: &generator)
        second = ConvBN(channels, channels, kernel: 3, relu: false, using: &generator)
    }

    override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        try F.relu(F.add(x, second(first(x))))
    }

    override var children: [(String, Module)] { [("conv1", first), ("conv2", second)] }
}

/// One HRNet stage on two streams: residual blocks per stream, then the exchange unit —
/// high += upsample(1×1 conv(low)), low += strided 3×3 conv(high).
final class TwoStreamStage: Module {
    let high: Sequential, low: Sequential
    let lowToHigh: ConvBN, highToLow: ConvBN

    init<G: RandomNumberGenerator>(high highChannels: Int, low lowChannels: Int, blocks: Int, using generator: inout G) {
        high = Sequential((0..<blocks).map { ("\($0)", ResidualBlock(highChannels, using: &generator)) })
        low = Sequential((0..<blocks).map { ("\($0)", ResidualBlock(lowChannels, using: &generator)) })
        lowToHigh = ConvBN(lowChannels, highChannels, kernel: 1, relu: false, using: &generator)
        highToLow = ConvBN(highChannels, lowChannels, kernel: 3, stride: 2, relu: false, using: &generator)
    }

    func forward(high h: Tensor, low l: Tensor) throws(LearningError) -> (Tensor, Tensor) {
        let h1 = try high(h), l1 = try low(l)
        let fusedHigh = try F.relu(F.add(h1, F.upsampleBilinear(lowToHigh(l1), factor: 2)))
        let fusedLow = try F.relu(F.add(l1, highToLow(h1)))
        return (fusedHigh, fusedLow)
    }

    override var children: [(String, Module)] {
        [("high", high), ("low", low), ("low_to_high", lowToHigh), ("high_to_low", highToLow)]
    }
}
