import Foundation
import Imaging

/// The unannotated real images synthesis draws from, prepared once: each image's nuclei
/// removed (Otsu super-segmentation, dilated) and inpainted (Telea), its sure nuclear
/// pixels (sub-segmentation) kept as texture samples, and the pool's nuclear statistics.
/// Only images are read, never masks.
public struct SynthesisPool: Sendable {
    public struct Source: Sendable {
        public var name: String
        public var image: RGBImage
        /// The image with every super-segmented nucleus inpainted away.
        public var background: RGBImage
        /// What was inpainted (the dilated super-segmentation).
        public var removed: Mask
        /// Hematoxylin and eosin optical densities of sure nuclear pixels (sub-segmentation).
        public var nuclearHematoxylin: [Float]
        public var nuclearEosin: [Float]
        /// The third (DAB) channel: residual in H&E, but it carries the hue of real nuclei.
        public var nuclearResidual: [Float]
        /// The image's Otsu threshold on smoothed hematoxylin: above it a pixel reads as nuclear.
        public var threshold: Float
    }

    public struct Parameters: Sendable, Equatable {
        /// Images with less tissue than this fraction (the rest near-white glass) are skipped.
        public var minimumTissueFraction: Double = 0.25
        /// Images smaller than this on either side are skipped (the crop size of synthesis).
        public var minimumSide: Int = 64
        public var inpaintingRadius: Int = 5
        /// Texture samples kept per image (a deterministic subsample).
        public var samplesPerImage: Int = 20_000
        public init() {}
    }

    public let sources: [Source]
    public let statistics: PoolStatistics
    /// Names of images left out, with the reason.
    public let skipped: [(name: String, reason: String)]

    /// Reads the pool's images: `folder/images/` when it exists (a dataset root; its masks
    /// are never opened), otherwise the PNG, TIFF and JPEG files in `folder` itself.
    public static func load(folder: URL, parameters: Parameters = Parameters(), maximumImages: Int? = nil) throws(SynthesisError) -> SynthesisPool {
        let imagesFolder = folder.appendingPathComponent("images")
        var isDirectory: ObjCBool = false
        let directory = FileManager.default.fileExists(atPath: imagesFolder.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? imagesFolder : folder
        let urls: [URL]
        do { urls = try ImageFiles.listImages(in: directory) } catch {
            throw .noUsableImages("\(directory.path) cannot be listed: \(error)")
        }
        guard !urls.isEmpty else { throw .noUsableImages("no PNG, TIFF or JPEG images in \(directory.path)") }
        var images: [(String, RGBImage)] = []
        for url in urls.prefix(maximumImages ?? urls.count) {
            do { images.append((url.deletingPathExtension().lastPathComponent, try ImageFiles.readRGB(url))) } catch {
                throw .unreadable(path: url.path, detail: error.description)
            }
        }
        return try SynthesisPool(images: images, parameters: parameters)
    }

    public init(images: [(name: String, image: RGBImage)], parameters: Parameters = Parameters()) throws(SynthesisError) {
        var sources: [Source] = [], skipped: [(String, String)] = [], analyses: [NuclearSegmentation.Analysis] = []
        var tissuePixels = 0
        for (name, image) in images {
            guard image.width >= parameters.minimumSide, image.height >= parameters.minimumSide else {
                skipped.append((name, "smaller than \(parameters.minimumSide)×\(parameters.minimumSide)")); continue
            }
            let tissue = NuclearSegmentation.tissueFraction(image)
            guard tissue >= parameters.minimumTissueFraction else {
                skipped.append((name, "only \(Int(tissue * 100))% tissue (white or blank)")); continue
            }
            let analysis = NuclearSegmentation.analyse(image)
            let removed = NuclearSegmentation.superSegmentation(analysis)
            let nuclearShare = Double(removed.storage.lazy.filter { $0 }.count) / Double(removed.count)
            guard analysis.nuclei.storage.contains(true), nuclearShare < 0.8 else {
                skipped.append((name, "no separable nuclei in the hematoxylin channel")); continue
            }
            // Sizes agree by construction (the mask comes from the image).
            let background = Self.background(image, removed: removed, radius: parameters.inpaintingRadius)
            let sure = NuclearSegmentation.subSegmentation(analysis)
            var hSamples: [Float] = [], eSamples: [Float] = [], dSamples: [Float] = []
            let sureIndices = sure.storage.indices.filter { sure.storage[$0] }
            let stride = max(1, sureIndices.count / parameters.samplesPerImage)
            for index in Swift.stride(from: 0, to: sureIndices.count, by: stride) {
                hSamples.append(analysis.stains.hematoxylin.storage[sureIndices[index]])
                eSamples.append(analysis.stains.eosin.storage[sureIndices[index]])
                dSamples.append(analysis.stains.dab.storage[sureIndices[index]])
            }
            sources.append(Source(name: name, image: image, background: background, removed: removed,
                                  nuclearHematoxylin: hSamples, nuclearEosin: eSamples,
                                  nuclearResidual: dSamples, threshold: analysis.threshold))
            analyses.append(analysis)
            tissuePixels += Int(tissue * Double(image.width * image.height))
        }
        guard !sources.isEmpty else {
            let reasons = skipped.map { "\($0.0): \($0.1)" }.joined(separator: "; ")
            throw .noUsableImages(images.isEmpty ? "no images given" : reasons)
        }
        self.sources = sources
        self.skipped = skipped
        self.statistics = try PoolStatistics.estimate(analyses, tissuePixels: tissuePixels)
    }

    /// Telea inpainting of the removed nuclei, each filled pixel then held within
    /// ±`tolerance` of the smooth local colour of the known pixels around it (a normalised
    /// convolution). Telea's gradient extrapolation overshoots in large holes next to dark
    /// edges, painting saturated streaks no tissue has; the clamp keeps its texture and
    /// drops the streaks.
    static func background(_ image: RGBImage, removed: Mask, radius: Int, tolerance: Float = 15) -> RGBImage {
        // Sizes agree by construction (the mask comes from the image).
        var filled = try! Inpainting.telea(image, mask: removed, radius: radius)
        let count = image.width * image.height
        let known = removed.map { $0 ? Float(0) : Float(1) }
        // Two scales: the fine one follows the tissue; the coarse one reaches the middle of
        // large holes, where the fine one has no known pixel in range.
        let scales = [6.0, 24.0].map { (sigma: $0, weight: GaussianBlur.apply(known, sigma: $0)) }
        for channel in 0..<3 {
            var values = Plane(width: image.width, height: image.height, repeating: 0)
            var total = 0.0, knownCount = 0
            for index in 0..<count where !removed.storage[index] {
                values.storage[index] = Float(image.pixels[3 * index + channel])
                total += Double(values.storage[index])
                knownCount += 1
            }
            let fallback = Float(total / Double(max(1, knownCount)))
            let smooth = scales.map { GaussianBlur.apply(values, sigma: $0.sigma) }
            for index in 0..<count where removed.storage[index] {
                var local = fallback
                if scales[0].weight.storage[index] > 0.02 {
                    local = smooth[0].storage[index] / scales[0].weight.storage[index]
                } else if scales[1].weight.storage[index] > 1e-4 {
                    local = smooth[1].storage[index] / scales[1].weight.storage[index]
                }
                let value = Float(filled.pixels[3 * index + channel])
                filled.pixels[3 * index + channel] = UInt8(min(255, max(0, min(local + tolerance, max(local - tolerance, value))).rounded()))
            }
        }
        return filled
    }
}
