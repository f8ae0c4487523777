import Datasets
import Foundation
import Imaging
import Learning

/// How an image is cut into tiles for the network.
public struct TilingOptions: Codable, Sendable, Equatable {
    /// Largest tile side fed to the network (pixels, including margins). The default covers
    /// a 1000×1000 image in one tile (no margins to recompute; ~1 GiB of activations).
    public var maximumTile: Int = 1088
    /// Context read across each internal seam and discarded: each tile keeps only its own
    /// region, so pixels near a seam see the same context as in one whole-image pass
    /// (rounded up to a multiple of the model's size multiple; should cover the receptive field).
    public var margin: Int = 32

    public init(maximumTile: Int = 1088, margin: Int = 32) {
        self.maximumTile = maximumTile
        self.margin = margin
    }
}

/// The network's per-pixel maps for a whole image.
public struct HoVerNetPrediction: Sendable {
    /// Probability that a pixel is nuclear (softmax of the NP branch).
    public var probability: Plane
    public var horizontal: Plane
    public var vertical: Plane
    /// Most likely type per pixel when the model has an NC head.
    public var types: Grid<UInt8>?

    /// Mean binary entropy of the NP probability, in bits (0 = certain everywhere, 1 = a
    /// coin flip everywhere): the image's uncertainty for active learning.
    public var meanEntropy: Double {
        guard probability.count > 0 else { return 0 }
        var total = 0.0
        for value in probability.storage {
            let p = Double(min(max(value, 1e-7), 1 - 1e-7))
            total -= p * log2(p) + (1 - p) * log2(1 - p)
        }
        return total / Double(probability.count)
    }
}

/// A segmentation: the instance map and the image's uncertainty.
public struct HoVerNetSegmentation: Sendable {
    public var labels: LabelMap
    public var uncertainty: Double
    public var prediction: HoVerNetPrediction
    /// Each nucleus's type (majority of its pixels' NC classes) when the model has an NC head.
    public var instanceTypes: [UInt32: UInt8]? {
        prediction.types.map { InstanceTypes.majority(labels: labels, types: $0) }
    }
}

/// Runs a trained model over images of any size: tiles with overlapping margins, keeps each
/// tile's centre, then the reference post-processing.
public final class HoVerNetSegmenter {
    public let model: HoVerNetModel
    public var tiling: TilingOptions
    public var postProcessor: PostProcessor
    /// Test-time augmentation: average the maps of the image and its three mirror images
    /// (x, y, both). Four network passes per image; off by default for that reason.
    public var flipAveraging = false

    public init(model: HoVerNetModel, tiling: TilingOptions = TilingOptions(), postProcessor: PostProcessor = PostProcessor()) {
        self.model = model
        self.tiling = tiling
        self.postProcessor = postProcessor
    }

    /// Loads a model file (its own architecture, from its metadata) with the post-processing
    /// tuned for it, or the reference parameters when it has none.
    public convenience init(modelFile: URL, tiling: TilingOptions = TilingOptions()) throws(HoVerNetError) {
        let (model, info) = try Checkpoint.load(modelFile)
        self.init(model: model, tiling: tiling, postProcessor: PostProcessor(parameters: info.postProcessing ?? .init()))
    }

    public func segment(_ image: RGBImage) throws(HoVerNetError) -> HoVerNetSegmentation {
        let prediction = try predict(image)
        let labels = try postProcessor.instances(probability: prediction.probability, horizontal: prediction.horizontal,
                                                 vertical: prediction.vertical)
        return HoVerNetSegmentation(labels: labels, uncertainty: prediction.meanEntropy, prediction: prediction)
    }

    /// The network's maps for the whole image (eval mode, no gradients), averaged over
    /// mirror images when `flipAveraging` is on.
    public func predict(_ image: RGBImage) throws(HoVerNetError) -> HoVerNetPrediction {
        var result = try predictOnce(image)
        guard flipAveraging else { return result }
        for (mirrorX, mirrorY) in [(true, false), (false, true), (true, true)] {
            let mirrored = try predictOnce(Self.mirror(image, x: mirrorX, y: mirrorY))
            // Undo the mirror on the maps; an offset along a mirrored axis changes sign.
            let probability = Self.mirror(mirrored.probability, x: mirrorX, y: mirrorY)
            let horizontal = Self.mirror(mirrored.horizontal, x: mirrorX, y: mirrorY)
            let vertical = Self.mirror(mirrored.vertical, x: mirrorX, y: mirrorY)
            for i in 0..<result.probability.count {
                result.probability.storage[i] += probability.storage[i]
                result.horizontal.storage[i] += mirrorX ? -horizontal.storage[i] : horizontal.storage[i]
                result.vertical.storage[i] += mirrorY ? -vertical.storage[i] : vertical.storage[i]
            }
        }
        for i in 0..<result.probability.count {
            result.probability.storage[i] /= 4
            result.horizontal.storage[i] /= 4
            result.vertical.storage[i] /= 4
        }
        return result
    }

    /// `grid` mirrored along x and/or y.
    static func mirror<Element>(_ grid: Grid<Element>, x mirrorX: Bool, y mirrorY: Bool) -> Grid<Element> {
        let flipped = mirrorX ? Augmentation.flipHorizontal(grid) : grid
        return mirrorY ? Augmentation.flipVertical(flipped) : flipped
    }

    static func mirror(_ image: RGBImage, x mirrorX: Bool, y mirrorY: Bool) -> RGBImage {
        let flipped = mirrorX ? Augmentation.flipHorizontal(image) : image
        return mirrorY ? Augmentation.flipVertical(flipped) : flipped
    }

    func predictOnce(_ image: RGBImage) throws(HoVerNetError) -> HoVerNetPrediction {
        let width = image.width, height = image.height
        guard width > 0, height > 0 else { throw .invalidInput("the image is empty (\(width)×\(height))") }
        let multiple = model.configuration.sizeMultiple
        func roundUp(_ value: Int) -> Int { (value + multiple - 1) / multiple * multiple }
        let margin = roundUp(max(tiling.margin, 0))
        let largestStep = (tiling.maximumTile - 2 * margin) / multiple * multiple
        guard largestStep >= multiple else {
            throw .invalidConfiguration("tiles of \(tiling.maximumTile) px leave no centre with margins of \(margin) px")
        }
        // The network sees the image padded to multiples of its pooling factor (by
        // reflection). Tiles split that canvas into equal steps (multiples of the pooling
        // factor, so every tile's pooling grid lines up with its neighbours') and read
        // `margin` extra pixels across internal seams only: at the canvas edge a tile ends
        // where the whole-image pass would, so stitched tiles equal one big tile.
        let paddedW = roundUp(width), paddedH = roundUp(height)
        func layout(_ extent: Int) -> [(output: Range<Int>, input: Range<Int>)] {
            let count = (extent + largestStep - 1) / largestStep
            let step = roundUp((extent + count - 1) / count)
            return (0..<count).compactMap { index in
                let start = index * step, end = min(start + step, extent)
                guard start < end else { return nil }
                return (start..<end, max(0, start - margin)..<min(extent, end + margin))
            }
        }
        let columns = layout(paddedW), rows = layout(paddedH)
        var canvas = [Float](repeating: 0, count: paddedW * paddedH * 3)
        for cy in 0..<paddedH {
            let sy = reflect101(cy, height)
            for cx in 0..<paddedW {
                let sx = reflect101(cx, width)
                for c in 0..<3 { canvas[(cy * paddedW + cx) * 3 + c] = Float(image.pixels[(sy * width + sx) * 3 + c]) / 255 }
            }
        }
        var probability = Plane(width: width, height: height, repeating: 0)
        var horizontal = probability, vertical = probability
        let typeClasses = model.configuration.typeClasses
        var types: Grid<UInt8>? = typeClasses > 0 ? Grid(width: width, height: height, repeating: 0) : nil
        let wasTraining = model.training
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        for row in rows {
            for column in columns {
                let tileW = column.input.count, tileH = row.input.count
                let input = Tensor(zeros: [1, tileH, tileW, 3])
                canvas.withUnsafeBufferPointer { source in
                    for y in 0..<tileH {
                        let offset = ((row.input.lowerBound + y) * paddedW + column.input.lowerBound) * 3
                        (input.data + y * tileW * 3).update(from: source.baseAddress! + offset, count: tileW * 3)
                    }
                }
                let output: HoVerNetOutput
                do {
                    output = try Autograd.noGrad { () throws(LearningError) in try model.heads(input) }
                } catch {
                    throw .learning(error)
                }
                // Keep the tile's output region, clipped to the image.
                for iy in row.output where iy < height {
                    for ix in column.output where ix < width {
                        let p = (iy - row.input.lowerBound) * tileW + (ix - column.input.lowerBound), i = iy * width + ix
                        let a = output.np.data[p * 2], b = output.np.data[p * 2 + 1]
                        probability.storage[i] = 1 / (1 + exp(a - b))
                        horizontal.storage[i] = output.hv.data[p * 2]
                        vertical.storage[i] = output.hv.data[p * 2 + 1]
                        if let nc = output.nc {
                            var best = 0
                            for c in 1..<typeClasses where nc.data[p * typeClasses + c] > nc.data[p * typeClasses + best] { best = c }
                            types?.storage[i] = UInt8(clamping: best)
                        }
                    }
                }
            }
        }
        return HoVerNetPrediction(probability: probability, horizontal: horizontal, vertical: vertical, types: types)
    }
}
