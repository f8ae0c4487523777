import Datasets
import Foundation

/// A FolderDataset view of two separate folders (images, label maps): links them into a
/// temporary images/ + instance_masks/ layout when they are not already one.
/// `removeLinks()` deletes that layout — the two links and their folder, never what the
/// links point to.
struct PairedDataset {
    let dataset: FolderDataset
    private let linkFolder: URL?

    init(images: String, gt: String) throws {
        let imageURL = URL(fileURLWithPath: images).standardizedFileURL, gtURL = URL(fileURLWithPath: gt).standardizedFileURL
        for (option, url) in [("--images", imageURL), ("--gt", gtURL)] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("\(option): no folder at \(url.path)")
            }
        }
        let parent = imageURL.deletingLastPathComponent()
        if imageURL.lastPathComponent == "images", gtURL == parent.appendingPathComponent("instance_masks").standardizedFileURL {
            dataset = try FolderDataset(root: parent)
            linkFolder = nil
            return
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-eval-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        do {
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("images"), withDestinationURL: imageURL)
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("instance_masks"), withDestinationURL: gtURL)
            dataset = try FolderDataset(root: root)
        } catch {
            Self.removeLinks(in: root)
            throw error
        }
        linkFolder = root
    }

    func removeLinks() {
        if let linkFolder { Self.removeLinks(in: linkFolder) }
    }

    private static func removeLinks(in folder: URL) {
        for name in ["images", "instance_masks"] { unlink(folder.appendingPathComponent(name).path) }
        rmdir(folder.path)
    }
}
