import Artifacts
import Foundation
import Wire

extension ArtifactStore {
    /// The local file of an artifact named on the wire: by digest from this store, or
    /// (for a service on a shared volume) from its `uri`, copied into the store.
    public func resolve(_ reference: Annotator_V1_ArtifactRef, field: String) throws(RPCError) -> Artifact {
        guard !reference.sha256.isEmpty || !reference.uri.isEmpty else {
            throw .invalidArgument("\(field): give sha256 or uri")
        }
        if !reference.sha256.isEmpty {
            guard ArtifactStore.isDigest(reference.sha256) else {
                throw .invalidArgument("\(field): '\(reference.sha256)' is not a SHA-256 digest (64 lowercase hex characters)")
            }
            if let found = try? find(reference.sha256) { return found }
            if reference.uri.isEmpty { throw .notFound("\(field): no artifact \(reference.sha256) on this service") }
        }
        let url = URL(fileURLWithPath: reference.uri)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .notFound("\(field): \(reference.uri) does not exist on this service's file system")
        }
        let artifact: Artifact
        do {
            artifact = try put(contentsOf: url, kind: reference.kind.isEmpty ? "imported" : reference.kind)
        } catch {
            throw .internal("\(field): \(error)")
        }
        if !reference.sha256.isEmpty && artifact.sha256 != reference.sha256 {
            throw .invalidArgument("\(field): \(reference.uri) has SHA-256 \(artifact.sha256), not \(reference.sha256)")
        }
        return artifact
    }
}

extension Annotator_V1_ArtifactRef {
    public init(_ artifact: Artifact) {
        self.init()
        sha256 = artifact.sha256
        kind = artifact.kind
        sizeBytes = UInt64(artifact.sizeBytes)
        uri = artifact.url.path
    }
}
