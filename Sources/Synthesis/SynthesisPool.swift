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
    /// are never opened), otherwise the PNG/TIFF files in `folder` itself.
    public static func load(folder: URL, parameters: Parameters = Parameters(), maximumImages: Int? = nil) throws(SynthesisError) -> SynthesisPool {
        let imagesFolder = folder.appendingPathComponent("images")
        var isDirectory: ObjCBool = false
        let directory = FileManager.default.fileExists(atPath: imagesFolder.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? imagesFolder : folder
        let urls: [URL]
        do { urls = try ImageFiles.listImages(in: directory) } catch {
            throw .noUsableImages("\(directory.path) cannot be listed: \(error)")
        }
        guard !urls.isEmpty else { throw .noUsableImages("no PNG or TIFF images in \(directory.path)") }
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
            let background = try! Inpainting.telea(image, mask: removed, radius: parameters.inpaintingRadius)
            let sure = NuclearSegmentation.subSegmentation(analysis)
            var hSamples: [Float] = [], eSamples: [Float] = []
            let sureIndices = sure.storage.indices.filter { sure.storage[$0] }
            let stride = max(1, sureIndices.count / parameters.samplesPerImage)
            for index in Swift.stride(from: 0, to: sureIndices.count, by: stride) {
                hSamples.append(analysis.stains.hematoxylin.storage[sureIndices[index]])
                eSamples.append(analysis.stains.eosin.storage[sureIndices[index]])
            }
            sources.append(Source(name: name, image: image, background: background, removed: removed,
                                  nuclearHematoxylin: hSamples, nuclearEosin: eSamples, threshold: analysis.threshold))
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
}
