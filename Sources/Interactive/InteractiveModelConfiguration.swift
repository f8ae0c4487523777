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
    /// Channels of a full-resolution image branch that refines the head's logits (0 = none:
    /// logits at 1/2 resolution, upsampled). At the usual zoom a half-resolution logit cell
    /// spans ~1.5 image px, coarse against the ~1 px that separates an IoU of 0.80 from 0.85
    /// on a 15 px nucleus. Off by default: 8 channels helped at 5,000 training steps but not
    /// at 20,000 (README, Interactive segmentation). Files that do not store this field were
    /// trained without it (0).
    public var detailChannels = 0
    /// Click disk radius in network-input pixels (≈ 3 image pixels for a 40–60 px window).
    public var clickRadius = 3.0
    public var clickEncoding = ClickEncoding.disk
    /// Per-channel normalisation of RGB in [0, 1].
    public var mean: [Float] = [0.65, 0.50, 0.70]
    public var std: [Float] = [0.20, 0.20, 0.15]

    public init() {}

    /// Missing keys take their defaults, so files written before a field existed still load
    /// (as the architecture they were trained with).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = InteractiveModelConfiguration()
        inputSize = try c.decodeIfPresent(Int.self, forKey: .inputSize) ?? d.inputSize
        highChannels = try c.decodeIfPresent(Int.self, forKey: .highChannels) ?? d.highChannels
        lowChannels = try c.decodeIfPresent(Int.self, forKey: .lowChannels) ?? d.lowChannels
        stages = try c.decodeIfPresent(Int.self, forKey: .stages) ?? d.stages
        blocksPerStage = try c.decodeIfPresent(Int.self, forKey: .blocksPerStage) ?? d.blocksPerStage
        headChannels = try c.decodeIfPresent(Int.self, forKey: .headChannels) ?? d.headChannels
        detailChannels = try c.decodeIfPresent(Int.self, forKey: .detailChannels) ?? 0
        clickRadius = try c.decodeIfPresent(Double.self, forKey: .clickRadius) ?? d.clickRadius
        clickEncoding = try c.decodeIfPresent(ClickEncoding.self, forKey: .clickEncoding) ?? d.clickEncoding
        mean = try c.decodeIfPresent([Float].self, forKey: .mean) ?? d.mean
        std = try c.decodeIfPresent([Float].self, forKey: .std) ?? d.std
    }

    public func validate() throws(InteractiveError) {
        guard inputSize >= 16, inputSize % 4 == 0 else {
            throw .invalidArgument("inputSize \(inputSize) must be a multiple of 4 and at least 16")
        }
        guard highChannels > 0, lowChannels > 0, headChannels > 0, stages >= 1, blocksPerStage >= 0, detailChannels >= 0 else {
            throw .invalidArgument("channel counts and stages must be positive, detail channels 0 or more")
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument("mean and std need 3 values, std positive")
        }
        guard clickRadius > 0 else { throw .invalidArgument("clickRadius must be positive") }
    }
}
