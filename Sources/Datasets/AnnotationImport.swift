import Foundation
import Imaging

/// One image imported with its annotation file.
public struct ImportedImage: Sendable {
    public var name: String
    public var nuclei: Int
    public var regionCount: Int
    public var skipped: [SkippedRegion]
}

/// Turning a folder of images and their outlines into a dataset folder; the outlines' format
/// is the caller's `rasterize`.
public enum AnnotationImport {
    /// Imports every image of `images` that has `annotations/<name>.<ext>` for one of
    /// `extensions` (tried in order); see the general form below.
    public static func importFolder(
        images: URL, annotations: URL, extensions: [String], output: URL,
        progress: (String) -> Void = { _ in },
        rasterize: (_ file: URL, _ width: Int, _ height: Int) throws(DatasetError) -> RasterizedAnnotations
    ) throws(DatasetError) -> (imported: [ImportedImage], missing: [String]) {
        func file(_ name: String) -> URL? {
            extensions.lazy.map { annotations.appendingPathComponent(name + "." + $0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
        return try importFolder(images: images, output: output, progress: progress,
                                annotated: { file($0) != nil }) { name, width, height throws(DatasetError) in
            guard let found = file(name) else {
                throw .fileAccess(path: annotations.appendingPathComponent(name).path, reason: "its annotation file went away")
            }
            return try rasterize(found, width, height)
        }
    }

    /// Imports every image of `images` whose base name is `annotated`: writes
    /// out/images/<name>.<ext> (a copy) and out/instance_masks/<name>.png. The other images
    /// are reported in `missing`, not imported.
    public static func importFolder(
        images: URL, output: URL, progress: (String) -> Void = { _ in },
        annotated: (_ name: String) -> Bool,
        rasterize: (_ name: String, _ width: Int, _ height: Int) throws(DatasetError) -> RasterizedAnnotations
    ) throws(DatasetError) -> (imported: [ImportedImage], missing: [String]) {
        let imageFiles: [URL]
        do {
            imageFiles = try ImageFiles.listImages(in: images)
        } catch {
            throw .imaging(error)
        }
        guard !imageFiles.isEmpty else { throw .empty("no PNG, TIFF or JPEG images in \(images.path)") }
        let imageFolder = output.appendingPathComponent("images")
        let maskFolder = output.appendingPathComponent("instance_masks")
        do {
            try FileManager.default.createDirectory(at: imageFolder, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: maskFolder, withIntermediateDirectories: true)
        } catch {
            throw .fileAccess(path: output.path, reason: "cannot create the output folders")
        }
        var imported: [ImportedImage] = []
        var missing: [String] = []
        for file in imageFiles {
            let name = file.deletingPathExtension().lastPathComponent
            guard annotated(name) else {
                missing.append(name)
                continue
            }
            let raster: Raster
            do {
                raster = try ImageFiles.readRaster(file)
            } catch {
                throw .imaging(error)
            }
            let result = try rasterize(name, raster.width, raster.height)
            do {
                let copy = imageFolder.appendingPathComponent(file.lastPathComponent)
                try? FileManager.default.removeItem(at: copy)
                try FileManager.default.copyItem(at: file, to: copy)
            } catch {
                throw .fileAccess(path: imageFolder.path, reason: "cannot copy \(file.lastPathComponent)")
            }
            do {
                try ImageFiles.writeLabelMap(result.labels, to: maskFolder.appendingPathComponent(name + ".png"))
            } catch {
                throw .imaging(error)
            }
            let entry = ImportedImage(name: name, nuclei: result.regionCount - result.skipped.count,
                                      regionCount: result.regionCount, skipped: result.skipped)
            imported.append(entry)
            progress("\(name): \(entry.nuclei) nuclei" + (result.skipped.isEmpty ? "" :
                ", skipped " + result.skipped.map(\.description).joined(separator: "; ")))
        }
        return (imported, missing)
    }
}
