import Foundation

/// A content digest of a folder (e.g. a dataset): SHA-256 over its files' relative paths and
/// contents in path order, so the same files give the same digest wherever they are.
public enum FolderDigest {
    public static func sha256(of folder: URL) throws(ArtifactError) -> (digest: String, sizeBytes: Int) {
        let root = folder.standardizedFileURL.resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw .io(path: folder.path, reason: "cannot list the folder")
        }
        var files: [String] = []
        while let url = enumerator.nextObject() as? URL {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(String(url.standardizedFileURL.path.dropFirst(root.path.count + 1)))
            }
        }
        var hasher = SHA256()
        var size = 0
        for relative in files.sorted() {
            let data: Data
            do {
                data = try Data(contentsOf: root.appendingPathComponent(relative))
            } catch {
                throw .io(path: relative, reason: error.localizedDescription)
            }
            size += data.count
            hasher.update(Array("\(relative)\t\(SHA256.hex(of: data))\n".utf8))
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}
