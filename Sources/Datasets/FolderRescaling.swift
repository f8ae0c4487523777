import Foundation
import Imaging

extension Rescaling {
    /// One rescaled image (and label map, when it had one).
    public struct RescaledSample: Sendable, Equatable {
        public var name: String
        public var width: Int
        public var height: Int
        /// Nuclei of the rescaled label map; nil for an image without one.
        public var nuclei: Int?
        /// Nuclei too small to survive the shrinking.
        public var lost: Int
    }

    /// Rescales a dataset folder into `output` (same layout, PNG): every image, and every label
    /// map there is — an unannotated pool rescales too.
    public func rescale(_ dataset: FolderDataset, to output: URL,
                        progress: (String) -> Void = { _ in }) throws(DatasetError) -> [RescaledSample] {
        try Self.refuseOverwriting(dataset.root, with: output)
        let images = output.appendingPathComponent("images"), masks = output.appendingPathComponent("instance_masks")
        var done: [RescaledSample] = []
        for sample in dataset.samples {
            // The label map is read with its image, which checks that their sizes agree.
            let pair: LabeledImage? = sample.mask == nil ? nil : try dataset.load(sample)
            let original = if let pair { pair.image } else { try dataset.loadImage(sample) }
            let picture = image(original)
            var entry = RescaledSample(name: sample.name, width: picture.width, height: picture.height, nuclei: nil, lost: 0)
            do {
                try ImageFiles.writeRGB(picture, to: images.appendingPathComponent(sample.name + ".png"))
            } catch {
                throw .imaging(error)
            }
            if let pair {
                let result = labels(pair.labels)
                do {
                    try ImageFiles.writeLabelMap(result.labels, to: masks.appendingPathComponent(sample.name + ".png"))
                } catch {
                    throw .imaging(error)
                }
                entry.nuclei = result.labels.instanceIDs.count
                entry.lost = result.lost
            }
            done.append(entry)
            progress("\(sample.name): \(entry.width)×\(entry.height)"
                     + (entry.nuclei.map { ", \($0) nuclei" } ?? "")
                     + (entry.lost > 0 ? ", \(entry.lost) too small to keep" : ""))
        }
        return done
    }

    /// Rescales every label map of `folder` into `output` (PNG, same base names): bringing
    /// predictions made at the models' magnification back to the scan's.
    public func rescaleLabelMaps(in folder: URL, to output: URL,
                                 progress: (String) -> Void = { _ in }) throws(DatasetError) -> [RescaledSample] {
        try Self.refuseOverwriting(folder, with: output)
        let files: [URL]
        do {
            files = try ImageFiles.listImages(in: folder)
        } catch {
            throw .imaging(error)
        }
        guard !files.isEmpty else { throw .empty("no PNG or TIFF label maps in \(folder.path)") }
        var done: [RescaledSample] = []
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            let result: (labels: LabelMap, lost: Int)
            do {
                result = labels(try ImageFiles.readLabelMap(file))
                try ImageFiles.writeLabelMap(result.labels, to: output.appendingPathComponent(name + ".png"))
            } catch {
                throw .imaging(error)
            }
            let entry = RescaledSample(name: name, width: result.labels.width, height: result.labels.height,
                                       nuclei: result.labels.instanceIDs.count, lost: result.lost)
            done.append(entry)
            progress("\(name): \(entry.width)×\(entry.height), \(entry.nuclei ?? 0) nuclei"
                     + (entry.lost > 0 ? ", \(entry.lost) too small to keep" : ""))
        }
        return done
    }

    /// Writing into the folder being read would replace originals with their rescaled copies.
    private static func refuseOverwriting(_ input: URL, with output: URL) throws(DatasetError) {
        guard input.standardizedFileURL.resolvingSymlinksInPath().path
                != output.standardizedFileURL.resolvingSymlinksInPath().path else {
            throw .invalidArgument("the output folder \(output.path) is the input: choose another one")
        }
    }
}
