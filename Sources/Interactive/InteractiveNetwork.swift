import Learning

/// The click-conditioned segmentation network: a small HRNet (a 1/2-resolution stream and
/// a 1/4-resolution stream exchanging information after every stage) and a head that
/// produces one logit map at input resolution.
///
/// Input: image (3 channels) + positive clicks + negative clicks + previous mask = 6
/// channels. The first conv over those 6 channels is stored as two convs, one over the
/// image and one over the 3 guidance maps, whose outputs are summed — the same function,
/// but the image half can be computed once per crop and cached while clicks change.
///
/// f-BRS-B hooks in between `backbone` and `head`: the backbone's output features are
/// fixed for a click and only the cheap head is re-run while L-BFGS tunes a per-channel
/// scale and bias on them.
public final class InteractiveNetwork: Module {
    public let configuration: InteractiveModelConfiguration
    let imageStem: Conv2d
    let guidanceStem: Conv2d
    let stemNorm: BatchNorm2d
    let stemBlock: ResidualBlock
    let toLow: ConvBN
    let stages: [TwoStreamStage]
    let headLayers: Sequential
    /// The full-resolution refinement (`detailChannels` > 0): image features at input
    /// resolution, the head's hidden features reduced and upsampled, and a small conv stack
    /// whose output is added to the upsampled coarse logits.
    let detailStem: Conv2d?
    let detailReduce: Conv2d?
    let detailRefine: Sequential?

    /// Channels of the features f-BRS rescales.
    public var featureChannels: Int { configuration.highChannels + configuration.lowChannels }

    public init(configuration: InteractiveModelConfiguration = .init(), seed: UInt64 = 0) {
        self.configuration = configuration
        var generator = SeededRandom(seed: seed)
        let high = configuration.highChannels, low = configuration.lowChannels
        imageStem = Conv2d(3, high, kernel: 3, stride: 2, bias: false, using: &generator)
        guidanceStem = Conv2d(3, high, kernel: 3, stride: 2, bias: false, using: &generator)
        stemNorm = BatchNorm2d(high)
        stemBlock = ResidualBlock(high, using: &generator)
        toLow = ConvBN(high, low, kernel: 3, stride: 2, relu: true, using: &generator)
        stages = (0..<configuration.stages).map { _ in
            TwoStreamStage(high: high, low: low, blocks: configuration.blocksPerStage, using: &generator)
        }
        let headWidth = configuration.headChannels
        headLayers = Sequential([
            ("reduce", Conv2d(high + low, headWidth, kernel: 1, activation: .relu, using: &generator)),
            ("conv", Conv2d(headWidth, headWidth, kernel: 3, activation: .relu, using: &generator)),
            ("logits", Conv2d(headWidth, 1, kernel: 1, using: &generator)),
        ])
        // Built after the rest so that the other layers' initial weights do not depend on it.
        let detail = configuration.detailChannels
        if detail > 0 {
            detailStem = Conv2d(3, detail, kernel: 3, activation: .relu, using: &generator)
            detailReduce = Conv2d(headWidth, detail, kernel: 1, activation: .relu, using: &generator)
            let logits = Conv2d(2 * detail, 1, kernel: 1, using: &generator)
            // Zero: a fresh network predicts exactly its coarse logits and learns the correction.
            for i in 0..<logits.weight.count { logits.weight.data[i] = 0 }
            detailRefine = Sequential([
                ("conv", Conv2d(2 * detail, 2 * detail, kernel: 3, activation: .relu, using: &generator)),
                ("logits", logits),
            ])
        } else {
            detailStem = nil
            detailReduce = nil
            detailRefine = nil
        }
    }

    /// The image half of the first conv: [N, S, S, 3] → [N, S/2, S/2, high]. Depends only on
    /// the crop, so predictors cache it.
    public func imageFeatures(_ image: Tensor) throws(LearningError) -> Tensor {
        try imageStem(image)
    }

    /// Full-resolution image features [N, S, S, detailChannels] for the head's refinement, or
    /// nil when the network has none. Depends only on the crop, so predictors cache it.
    public func detailFeatures(_ image: Tensor) throws(LearningError) -> Tensor? {
        try detailStem.map { stem throws(LearningError) in try stem(image) }
    }

    /// Stem (image features + guidance [N, S, S, 3]) and both streams → features
    /// [N, S/2, S/2, high + low].
    public func backbone(imageFeatures: Tensor, guidance: Tensor) throws(LearningError) -> Tensor {
        let stem = try F.relu(stemNorm(F.add(imageFeatures, guidanceStem(guidance))))
        var high = try stemBlock(stem)
        var low = try toLow(high)
        for stage in stages { (high, low) = try stage.forward(high: high, low: low) }
        return try F.concat([high, F.upsampleBilinear(low, factor: 2)], axis: 3)
    }

    /// Features [N, S/2, S/2, C] (+ `detail` from `detailFeatures` when the network has a
    /// full-resolution refinement) → logits [N, S, S, 1].
    public func head(_ features: Tensor, detail: Tensor? = nil) throws(LearningError) -> Tensor {
        guard let detailReduce, let detailRefine else { return try F.upsampleBilinear(headLayers(features), factor: 2) }
        guard let detail else {
            throw .invalidArgument(op: "InteractiveNetwork.head", detail: "this network refines at full resolution and needs the crop's detail features")
        }
        var hidden = features
        for (_, layer) in headLayers.layers.dropLast() { hidden = try layer(hidden) }
        let coarse = try F.upsampleBilinear(headLayers.layers[headLayers.layers.count - 1].1(hidden), factor: 2)
        let fine = try detailRefine(F.concat([F.upsampleBilinear(detailReduce(hidden), factor: 2), detail], axis: 3))
        return try F.add(coarse, fine)
    }

    /// The whole network on 6-channel input [N, S, S, 6] → logits [N, S, S, 1].
    public override func forward(_ x: Tensor) throws(LearningError) -> Tensor {
        let image = try F.slice(x, axis: 3, range: 0..<3), guidance = try F.slice(x, axis: 3, range: 3..<6)
        return try head(backbone(imageFeatures: imageFeatures(image), guidance: guidance), detail: detailFeatures(image))
    }

    public override var children: [(String, Module)] {
        [("stem.image", imageStem), ("stem.guidance", guidanceStem), ("stem.bn", stemNorm), ("stem.block", stemBlock),
         ("to_low", toLow)]
            + stages.enumerated().map { ("stage\($0.offset + 1)", $0.element as Module) }
            + [("head", headLayers)]
            + [("detail.stem", detailStem as Module?), ("detail.reduce", detailReduce), ("detail.refine", detailRefine)]
                .compactMap { name, module in module.map { (name, $0) } }
    }
}
