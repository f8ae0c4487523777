/// Architecture and input encoding of the click-conditioned network. Stored as JSON in the
/// weights file's metadata, so a file always rebuilds the network it was trained as.
///
/// Defaults are sized for 2 CPU cores: ~0.16 M parameters, ~0.15 GFLOP per 64×64 forward.
public struct InteractiveModelConfiguration: Codable, Sendable, Equatable {
    /// Side of the network input in pixels (a multiple of 4: two stride-2 levels).
    public var inputSize = 64
    /// Channels of the high-resolution stream (kept at 1/2 of the input).
    public var highChannels = 24
    /// Channels of the low-resolution stream (1/4 of the input).
    public var lowChannels = 48
    /// HRNet-style stages after the stem; each runs `blocksPerStage` residual blocks on both
    /// streams and then exchanges information between them.
    public var stages = 2
    public var blocksPerStage = 1
    /// Channels of the segmentation head (the part f-BRS re-runs per L-BFGS evaluation).
    public var headChannels = 24
    /// Channels of a stage that corrects the upsampled logits at full input resolution from
    /// the image and guidance (0: none). The streams run at 1/2 and 1/4 of the input, so
    /// without it a nucleus outline is drawn on a grid twice as coarse as the input.
    public var refinementChannels = 0
    /// Click disk radius in network-input pixels (≈ 3 image pixels for a 40–60 px window).
    public var clickRadius = 3.0
    public var clickEncoding = ClickEncoding.disk
    /// Per-channel normalisation of RGB in [0, 1].
    public var mean: [Float] = [0.65, 0.50, 0.70]
    public var std: [Float] = [0.20, 0.20, 0.15]

    public init() {}

    public func validate() throws(InteractiveError) {
        guard inputSize >= 16, inputSize % 4 == 0 else {
            throw .invalidArgument("inputSize \(inputSize) must be a multiple of 4 and at least 16")
        }
        guard highChannels > 0, lowChannels > 0, headChannels > 0, stages >= 1, blocksPerStage >= 0 else {
            throw .invalidArgument("channel counts and stages must be positive")
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument("mean and std need 3 values, std positive")
        }
        guard clickRadius > 0 else { throw .invalidArgument("clickRadius must be positive") }
        guard refinementChannels >= 0 else { throw .invalidArgument("refinementChannels must be 0 or positive") }
    }
}

extension InteractiveModelConfiguration {
    private enum CodingKeys: String, CodingKey {
        case inputSize, highChannels, lowChannels, stages, blocksPerStage, headChannels, refinementChannels, clickRadius,
             clickEncoding, mean, std
    }

    /// Keys added after the first model files were written decode to their defaults when
    /// absent, so older files keep loading as the networks they were trained as.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        inputSize = try container.decode(Int.self, forKey: .inputSize)
        highChannels = try container.decode(Int.self, forKey: .highChannels)
        lowChannels = try container.decode(Int.self, forKey: .lowChannels)
        stages = try container.decode(Int.self, forKey: .stages)
        blocksPerStage = try container.decode(Int.self, forKey: .blocksPerStage)
        headChannels = try container.decode(Int.self, forKey: .headChannels)
        refinementChannels = try container.decodeIfPresent(Int.self, forKey: .refinementChannels) ?? 0
        clickRadius = try container.decode(Double.self, forKey: .clickRadius)
        clickEncoding = try container.decode(ClickEncoding.self, forKey: .clickEncoding)
        mean = try container.decode([Float].self, forKey: .mean)
        std = try container.decode([Float].self, forKey: .std)
    }
}
