import Datasets
import Foundation
import Imaging
import Learning

/// Images with their instance label maps, held in memory, plus an optional sampling
/// weight per sample (e.g. importance weights of refined synthetic images): a sample of
/// weight 2 is drawn twice as often as one of weight 1.
public struct TrainingSet: Sendable {
    public var names: [String]
    public var pairs: [LabeledImage]
    public var weights: [Double]
    /// The type of each nucleus (by instance id) per sample, for models with an NC head;
    /// nil when the data has no types.
    public var instanceTypes: [[UInt32: UInt8]]?

    public init(pairs: [LabeledImage], names: [String]? = nil, weights: [Double]? = nil,
                instanceTypes: [[UInt32: UInt8]]? = nil) throws(HoVerNetError) {
        guard !pairs.isEmpty else { throw .emptyDataset("no (image, label map) pairs") }
        if let weights {
            guard weights.count == pairs.count, weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.contains(where: { $0 > 0 }) else {
                throw .invalidInput("need one finite, non-negative weight per sample, not all zero")
            }
        }
        if let instanceTypes, instanceTypes.count != pairs.count {
            throw .invalidInput("need one type table per sample (\(instanceTypes.count) for \(pairs.count) samples)")
        }
        guard pairs.allSatisfy({ $0.image.width > 0 && $0.image.height > 0 }) else { throw .invalidInput("a sample image is empty") }
        self.pairs = pairs
        self.names = names ?? pairs.indices.map { "sample\($0)" }
        self.weights = weights ?? Array(repeating: 1, count: pairs.count)
        self.instanceTypes = instanceTypes
    }

    /// Every pair of a folder dataset; `weights` by sample name (missing names weigh 1);
    /// nuclear types from `type_maps/` when the folder has one.
    public init(folder: FolderDataset, weights: [String: Double]? = nil) throws(HoVerNetError) {
        var pairs: [LabeledImage] = []
        var types: [[UInt32: UInt8]]? = folder.hasTypeMaps ? [] : nil
        for sample in folder.samples where sample.mask != nil {
            do {
                let pair = try folder.load(sample)
                pairs.append(pair)
                if types != nil { types!.append(try folder.instanceTypes(sample, labels: pair.labels)) }
            } catch {
                throw .dataset(error)
            }
        }
        guard !pairs.isEmpty else { throw .emptyDataset("\(folder.root.path) has no image with a label map") }
        let names = folder.samples.filter { $0.mask != nil }.map(\.name)
        try self.init(pairs: pairs, names: names, weights: weights.map { table in names.map { table[$0] ?? 1 } }, instanceTypes: types)
    }

    /// Classes of the type maps (background included): one more than the largest type.
    public var typeClasses: Int {
        (instanceTypes?.flatMap(\.values).max()).map { Int($0) + 1 } ?? 0
    }

    /// Opens `folder` (images/ + instance_masks/, optionally type_maps/) and loads every
    /// pair, weighted by `weights`, else by the folder's `weights.json` (`SampleWeights`)
    /// unless `sampleWeightsFile` is false, else uniformly.
    public static func load(folder: URL, weights: [String: Double]? = nil, sampleWeightsFile: Bool = true) throws(HoVerNetError) -> TrainingSet {
        let dataset: FolderDataset
        var table = weights
        do {
            dataset = try FolderDataset(root: folder, requireMasks: true)
            if table == nil, sampleWeightsFile { table = try SampleWeights.read(in: folder) }
        } catch {
            if case let .empty(detail) = error { throw .emptyDataset(detail) }
            throw .dataset(error)
        }
        return try TrainingSet(folder: dataset, weights: table)
    }

    /// Holds out `count` evenly spaced samples, so a folder sorted by organ or source is
    /// represented in both parts.
    public func split(holdingOutEvenly count: Int) throws(HoVerNetError) -> (train: TrainingSet, heldOut: TrainingSet) {
        guard count > 0, count < pairs.count else {
            throw .invalidInput("holding out \(count) of \(pairs.count) image(s) leaves no training or no validation image")
        }
        let total = pairs.count
        return try split(holdingOut: Set((0..<count).map { $0 * total / count + total / (2 * count) }))
    }

    /// Splits off the samples at `indices` (e.g. a held-out validation split).
    public func split(holdingOut indices: Set<Int>) throws(HoVerNetError) -> (train: TrainingSet, heldOut: TrainingSet) {
        let keep = pairs.indices.filter { !indices.contains($0) }, out = pairs.indices.filter { indices.contains($0) }
        func subset(_ indices: [Int]) throws(HoVerNetError) -> TrainingSet {
            try TrainingSet(pairs: indices.map { pairs[$0] }, names: indices.map { names[$0] }, weights: indices.map { weights[$0] },
                            instanceTypes: instanceTypes.map { types in indices.map { types[$0] } })
        }
        return (try subset(keep), try subset(out))
    }
}

/// Augmentations applied to each training patch.
public struct AugmentationOptions: Codable, Sendable, Equatable {
    /// Random horizontal flips and rotations by multiples of 90°.
    public var flipsAndRotations = true
    /// H&E(D) colour jitter: scales 1 ± hedScale and shifts ± hedShift per stain density,
    /// in scikit-image's `rgb2hed` units (optical density / ln 10⁶ ≈ OD / 13.8), where the
    /// hematoxylin of a nucleus is only ~0.05: a shift of 0.05 (Tellez's "light" setting
    /// read in these units) changes pixels by 50–90 grey levels on MoNuSeg and can erase
    /// nuclei, while 0.01 changes them by ~14.
    public var hedScale: Float = 0.05
    public var hedShift: Float = 0.01
    /// Probability of an elastic deformation (alpha, sigma in pixels); off by default
    /// because it is the slowest augmentation on CPU.
    public var elasticProbability: Double = 0
    public var elasticAlpha: Double = 20
    public var elasticSigma: Double = 5
    /// RGB brightness / contrast / saturation jitter: each factor uniform in 1 ± the range
    /// (torchvision's `ColorJitter`; 0 = off). On held-out MoNuSeg training images it scored
    /// level with HED jitter alone (350 steps: Dice 0.738 vs 0.737, AJI 0.367 vs 0.360, PQ
    /// 0.334 vs 0.348); it is on because other sites' scanners differ in exposure and colour
    /// more than these images do.
    public var brightness: Float = 0.2
    public var contrast: Float = 0.2
    public var saturation: Float = 0.2

    public init() {}
}

/// Draws augmented patches and their targets.
struct PatchSampler {
    let set: TrainingSet
    let patchSize: Int
    let augmentation: AugmentationOptions
    let minimumArea: Int
    private let cumulative: [Double]

    init(set: TrainingSet, patchSize: Int, augmentation: AugmentationOptions, minimumArea: Int) {
        self.set = set
        self.patchSize = patchSize
        self.augmentation = augmentation
        self.minimumArea = minimumArea
        var running = 0.0
        cumulative = set.weights.map { running += $0; return running }
    }

    func sampleIndex<G: RandomNumberGenerator>(using generator: inout G) -> Int {
        let draw = Double.random(in: 0..<cumulative.last!, using: &generator)
        return cumulative.firstIndex { draw < $0 } ?? cumulative.count - 1
    }

    /// One random patch: crop (images smaller than the patch are padded with white glass
    /// and background labels), flips/rotations, elastic, colour jitter.
    func patch<G: RandomNumberGenerator>(using generator: inout G) -> (patch: LabeledImage, sample: Int) {
        let sample = sampleIndex(using: &generator)
        let pair = set.pairs[sample]
        let size = patchSize, width = pair.image.width, height = pair.image.height
        let x0 = width > size ? Int.random(in: 0...(width - size), using: &generator) : 0
        let y0 = height > size ? Int.random(in: 0...(height - size), using: &generator) : 0
        var pixels = [UInt8](repeating: 255, count: size * size * 3)
        var labels = LabelMap(width: size, height: size, repeating: 0)
        for y in 0..<min(size, height) {
            for x in 0..<min(size, width) {
                let source = (y0 + y) * width + (x0 + x), target = y * size + x
                labels.storage[target] = pair.labels.storage[source]
                for c in 0..<3 { pixels[target * 3 + c] = pair.image.pixels[source * 3 + c] }
            }
        }
        // Sizes match by construction.
        var result = try! LabeledImage(image: try! RGBImage(width: size, height: size, pixels: pixels), labels: labels)
        if augmentation.flipsAndRotations {
            if Bool.random(using: &generator) { result = Augmentation.flipHorizontal(result) }
            result = Augmentation.rotate90(result, times: Int.random(in: 0...3, using: &generator))
        }
        if augmentation.elasticProbability > 0, Double.random(in: 0..<1, using: &generator) < augmentation.elasticProbability {
            result = Augmentation.elastic(result, alpha: augmentation.elasticAlpha, sigma: augmentation.elasticSigma, using: &generator)
        }
        if augmentation.hedScale > 0 || augmentation.hedShift > 0 {
            let factors = HEDJitter.Factors.random(scaleRange: augmentation.hedScale, shiftRange: augmentation.hedShift, using: &generator)
            result.image = HEDJitter.apply(result.image, factors)
        }
        if augmentation.brightness > 0 || augmentation.contrast > 0 || augmentation.saturation > 0 {
            let factors = RGBJitter.Factors.random(brightness: augmentation.brightness, contrast: augmentation.contrast,
                                                   saturation: augmentation.saturation, using: &generator)
            result.image = RGBJitter.apply(result.image, factors)
        }
        return (result, sample)
    }

    /// A batch: input [N, S, S, 3] in 0...1 and its targets (with NC targets when the set
    /// has types and `typeClasses` > 0).
    func batch<G: RandomNumberGenerator>(_ count: Int, typeClasses: Int = 0,
                                         using generator: inout G) throws(HoVerNetError) -> (Tensor, TargetBatch) {
        let drawn = (0..<count).map { _ in patch(using: &generator) }
        let targets = drawn.map { LabelMapTargets($0.patch.labels, minimumArea: minimumArea) }
        var types: [[UInt8]]?
        if typeClasses > 0, let tables = set.instanceTypes {
            // Geometric augmentations move instance ids with their pixels, so each pixel's
            // type is its nucleus's type.
            types = drawn.map { item in
                item.patch.labels.storage.map { id -> UInt8 in id == 0 ? 0 : (tables[item.sample][id] ?? 0) }
            }
        }
        return (Self.input(drawn.map { $0.patch.image }), try HoVerLoss.targets(targets, types: types, typeClasses: typeClasses))
    }

    static func input(_ images: [RGBImage]) -> Tensor {
        let h = images[0].height, w = images[0].width
        let tensor = Tensor(zeros: [images.count, h, w, 3])
        for (b, image) in images.enumerated() {
            let base = tensor.data + b * h * w * 3
            for i in 0..<(h * w * 3) { base[i] = Float(image.pixels[i]) / 255 }
        }
        return tensor
    }
}
