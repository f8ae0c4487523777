import Artifacts
import Foundation
import Orchestration
import Wire

/// What the service stages record in the cycle state about the artifacts they made.
extension CycleState {
    /// Notes a model a service trained: where it is, and what made it.
    mutating func remember(_ model: Annotator_V1_ArtifactRef, _ parameters: [String: String]) {
        var paths = artifactPaths ?? [:]
        paths[model.sha256] = model.uri
        artifactPaths = paths
        produced(ProducedArtifact(sha256: model.sha256, kind: model.kind, path: model.uri, sizeBytes: Int(model.sizeBytes),
                                  parameters: Self.json(parameters)))
    }

    /// Notes a dataset folder this step wrote, by content digest.
    mutating func producedFolder(_ folder: URL, kind: String, _ parameters: [String: String]) throws {
        let (digest, size) = try FolderDigest.sha256(of: folder)
        produced(ProducedArtifact(sha256: digest, kind: kind, path: folder.path, sizeBytes: size, parameters: Self.json(parameters)))
    }

    private mutating func produced(_ artifact: ProducedArtifact) {
        var all = artifacts ?? []
        if !all.contains(where: { $0.sha256 == artifact.sha256 }) { all.append(artifact) }
        artifacts = all
    }

    private static func json(_ parameters: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(parameters), as: UTF8.self)) ?? "{}"
    }

    func reference(_ digest: String, kind: String) -> Annotator_V1_ArtifactRef {
        var reference = Annotator_V1_ArtifactRef()
        reference.sha256 = digest
        reference.kind = kind
        reference.uri = artifactPaths?[digest] ?? ""
        return reference
    }
}
