import Foundation
import Imaging

/// One image imported with its annotation file.
public struct ImportedImage: Sendable {
    public var name: String
    public var nuclei: Int
    public var regionCount: Int
    public var skipped: [SkippedRegion]
}

/// Turning a folder of images and a folder of outline files (one per image, same base name)
/// into a dataset folder; the file format is the caller's `rasterize`.
public enum AnnotationImport {
    /// Imports every image of `images` that has `annotations/<name>.<ext>` for one of
    /// `extensions` (tried in order): writes out/images/<name>.<ext> (a copy) and
    /// out/instance_masks/<name>.png. Images without an annotation file are reported in
    /// `missing`, not imported.
    public static func importFolder(
        images: URL, annotations: URL, extensions: [String], output: URL,
        progress: (String) -> Void = { _ in },
        rasterize: (_ file: URL, _ width: Int, _ height: Int) throws(DatasetError) -> RasterizedAnnotations
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
            guard let annotation = extensions.lazy.map({ annotations.appendingPathComponent(name + "." + $0) })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                missing.append(name)
                continue
            }
            let raster: Raster
            do {
                raster = try ImageFiles.readRaster(file)
            } catch {
                throw .imaging(error)
            }
            let result = try rasterize(annotation, raster.width, raster.height)
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
