import Foundation
import Imaging

/// The project's dataset layout: `images/` (PNG, TIFF or JPEG) and `instance_masks/` (uint16 PNG
/// label maps with the same base names), exactly as ../shared/data/monuseg/{train,test}.
public struct FolderDataset: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var image: URL
        /// nil when the dataset was opened without requiring masks and this one has none.
        public var mask: URL?
    }

    public let root: URL
    public let samples: [Sample]

    public var imageFolder: URL { root.appendingPathComponent("images") }
    public var maskFolder: URL { root.appendingPathComponent("instance_masks") }

    /// Lists the samples. With `requireMasks`, an image without a label map is an error.
    public init(root: URL, requireMasks: Bool = true) throws(DatasetError) {
        self.root = root
        let imageFolder = root.appendingPathComponent("images")
        let maskFolder = root.appendingPathComponent("instance_masks")
        let images: [URL]
        do {
            images = try ImageFiles.listImages(in: imageFolder)
        } catch {
            // A folder of images given where a dataset folder is expected is the usual slip.
            if let loose = try? ImageFiles.listImages(in: root), !loose.isEmpty {
                throw .invalidArgument("\(root.path) holds \(loose.count) image(s) but no images/ folder: a dataset folder "
                                       + "is images/ (and instance_masks/); give the folder above them, or move them into images/")
            }
            throw .imaging(error)
        }
        guard !images.isEmpty else { throw .empty("no PNG, TIFF or JPEG images in \(imageFolder.path)") }
        var masksByName: [String: URL] = [:]
        if FileManager.default.fileExists(atPath: maskFolder.path) {
            do {
                for url in try ImageFiles.listImages(in: maskFolder) {
                    masksByName[url.deletingPathExtension().lastPathComponent] = masksByName[url.deletingPathExtension().lastPathComponent] ?? url
                }
            } catch {
                throw .imaging(error)
            }
        }
        var samples: [Sample] = []
        for image in images {
            let name = image.deletingPathExtension().lastPathComponent
            let mask = masksByName[name]
            if mask == nil && requireMasks { throw .missingMask(image: image.lastPathComponent, folder: maskFolder.path) }
            samples.append(Sample(name: name, image: image, mask: mask))
        }
        self.samples = samples
    }

    public func loadImage(_ sample: Sample) throws(DatasetError) -> RGBImage {
        do {
            return try ImageFiles.readRGB(sample.image)
        } catch {
            throw .imaging(error)
        }
    }

    /// The image and its label map, checked to be the same size.
    public func load(_ sample: Sample) throws(DatasetError) -> LabeledImage {
        let image = try loadImage(sample)
        guard let maskURL = sample.mask else { throw .missingMask(image: sample.image.lastPathComponent, folder: maskFolder.path) }
        let labels = try Self.readLabelMap(maskURL, width: image.width, height: image.height, name: sample.name)
        // Sizes were just checked.
        return try! LabeledImage(image: image, labels: labels)
    }

    /// A label map that must be `width` × `height` (a mismatch names `name`).
    static func readLabelMap(_ url: URL, width: Int, height: Int, name: String) throws(DatasetError) -> LabelMap {
        let labels: LabelMap
        do {
            labels = try ImageFiles.readLabelMap(url)
        } catch {
            throw .imaging(error)
        }
        guard labels.width == width, labels.height == height else {
            throw .sizeMismatch(name: name, image: "\(width)×\(height)", mask: "\(labels.width)×\(labels.height)")
        }
        return labels
    }

    /// Writes a sample in this layout under `root` (images as PNG).
    public static func write(_ pair: LabeledImage, name: String, to root: URL) throws(DatasetError) {
        let images = root.appendingPathComponent("images"), masks = root.appendingPathComponent("instance_masks")
        do {
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        } catch {
            throw .fileAccess(path: root.path, reason: "cannot create the dataset folders")
        }
        do {
            try ImageFiles.writeRGB(pair.image, to: images.appendingPathComponent(name + ".png"))
            try ImageFiles.writeLabelMap(pair.labels, to: masks.appendingPathComponent(name + ".png"))
        } catch {
            throw .imaging(error)
        }
    }
}
