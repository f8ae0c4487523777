import Artifacts
import Foundation
import Wire

/// Names a local model file for a remote service: its SHA-256 (which the service may
/// already hold) and its absolute path (readable when the service shares the volume).
enum RemoteModels {
    static func reference(forFile path: String, kind: String) throws -> Annotator_V1_ArtifactRef {
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url) else { throw CLIError("cannot read model \(path)") }
        var reference = Annotator_V1_ArtifactRef()
        reference.sha256 = SHA256.hex(of: data)
        reference.kind = kind
        reference.sizeBytes = UInt64(data.count)
        reference.uri = url.standardizedFileURL.path
        return reference
    }
}
