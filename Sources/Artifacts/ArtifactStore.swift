import Foundation

/// A file addressed by the SHA-256 of its bytes.
public struct Artifact: Sendable, Equatable, Codable {
    public var sha256: String
    /// "hovernet-model", "interactive-model", "refiner-model", "dataset", ...
    public var kind: String
    public var sizeBytes: Int
    /// Where the bytes are.
    public var url: URL

    public init(sha256: String, kind: String, sizeBytes: Int, url: URL) {
        self.sha256 = sha256
        self.kind = kind
        self.sizeBytes = sizeBytes
        self.url = url
    }
}

public enum ArtifactError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(sha256: String)
    case invalidDigest(String)
    case io(path: String, reason: String)
    case digestMismatch(expected: String, actual: String)

    public var description: String {
        switch self {
        case let .notFound(sha): "no artifact with SHA-256 \(sha) in the store"
        case let .invalidDigest(text): "'\(text)' is not a SHA-256 digest (64 lowercase hex characters)"
        case let .io(path, reason): "cannot access \(path): \(reason)"
        case let .digestMismatch(expected, actual): "artifact content has SHA-256 \(actual), expected \(expected)"
        }
    }
}

/// Model weights and other artifacts as files named by their content hash:
/// `ROOT/KIND/SHA256.EXT`. Writing is atomic (temporary name, then rename), so a crash
/// never leaves a partial file under a hash name; the same bytes stored twice are one file.
public struct ArtifactStore: Sendable {
    public let root: URL

    public init(root: URL) throws(ArtifactError) {
        self.root = root
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw .io(path: root.path, reason: "\(error.localizedDescription)")
        }
    }

    public static func isDigest(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Stores bytes; returns the artifact (existing one when the bytes are already stored).
    @discardableResult
    public func put(_ data: Data, kind: String, fileExtension: String = "bin") throws(ArtifactError) -> Artifact {
        let digest = data.withUnsafeBytes { buffer -> String in
            var hasher = SHA256()
            hasher.update(buffer)
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        let folder = root.appendingPathComponent(kind)
        let url = folder.appendingPathComponent("\(digest).\(fileExtension)")
        if !FileManager.default.fileExists(atPath: url.path) {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw .io(path: url.path, reason: "\(error.localizedDescription)")
            }
        }
        return Artifact(sha256: digest, kind: kind, sizeBytes: data.count, url: url)
    }

    /// Copies a file into the store.
    @discardableResult
    public func put(contentsOf file: URL, kind: String) throws(ArtifactError) -> Artifact {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .io(path: file.path, reason: "\(error.localizedDescription)")
        }
        let fileExtension = file.pathExtension.isEmpty ? "bin" : file.pathExtension
        return try put(data, kind: kind, fileExtension: fileExtension)
    }

    /// Finds a stored artifact by digest (any kind unless given).
    public func find(_ sha256: String, kind: String? = nil) throws(ArtifactError) -> Artifact {
        guard Self.isDigest(sha256) else { throw .invalidDigest(sha256) }
        let kinds: [String]
        if let kind {
            kinds = [kind]
        } else {
            kinds = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        }
        for candidate in kinds {
            let folder = root.appendingPathComponent(candidate)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if let name = names.first(where: { $0.hasPrefix(sha256 + ".") }) {
                let url = folder.appendingPathComponent(name)
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
                return Artifact(sha256: sha256, kind: candidate, sizeBytes: size, url: url)
            }
        }
        throw .notFound(sha256: sha256)
    }

    /// Reads an artifact's bytes and checks them against its digest.
    public func read(_ artifact: Artifact) throws(ArtifactError) -> Data {
        let data: Data
        do {
            data = try Data(contentsOf: artifact.url)
        } catch {
            throw .io(path: artifact.url.path, reason: "\(error.localizedDescription)")
        }
        let actual = SHA256.hex(of: data)
        guard actual == artifact.sha256 else { throw .digestMismatch(expected: artifact.sha256, actual: actual) }
        return data
    }
}
