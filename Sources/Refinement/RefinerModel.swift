import Foundation
import Learning

/// The refiner and its discriminator, saved together as one safetensors file
/// (`refiner.*`, `discriminator.*`) whose metadata holds the architecture and the step, so
/// training resumes and `apply` rebuilds the same shapes.
public final class RefinerModel {
    public let architecture: RefinerArchitecture
    public let refiner: RefinerNetwork
    public let discriminator: PatchDiscriminator
    /// Training steps done so far.
    public var step: Int

    public init(architecture: RefinerArchitecture = RefinerArchitecture(), seed: UInt64) {
        var rng = RefinementRandom(seed: seed)
        self.architecture = architecture
        refiner = RefinerNetwork(architecture, using: &rng)
        discriminator = PatchDiscriminator(architecture, using: &rng)
        step = 0
    }

    static let kind = "simgan-refiner-v1"

    /// Atomic (written to a temporary file, then renamed): a crash leaves the old checkpoint.
    public func save(to url: URL) throws(RefinementError) {
        let tensors = refiner.stateDict().map { ("refiner.\($0.0)", $0.1) }
            + discriminator.stateDict().map { ("discriminator.\($0.0)", $0.1) }
        let architectureJSON = String(decoding: (try? JSONEncoder().encode(architecture)) ?? Data(), as: UTF8.self)
        do {
            try SafeTensors.save(tensors, to: url, metadata: ["kind": Self.kind, "architecture": architectureJSON, "step": String(step)])
        } catch {
            throw .output(path: url.path, detail: error.description)
        }
    }

    public static func load(from url: URL) throws(RefinementError) -> RefinerModel {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .incompatibleModel(path: url.path, detail: "cannot be read") }
        let metadata = (try? SafeTensors.metadata(of: url)) ?? [:]
        guard metadata["kind"] == kind, let json = metadata["architecture"],
              let architecture = try? JSONDecoder().decode(RefinerArchitecture.self, from: Data(json.utf8)) else {
            throw .incompatibleModel(path: url.path, detail: "no \(kind) metadata (not written by the refiner trainer)")
        }
        let model = RefinerModel(architecture: architecture, seed: 0)
        model.step = Int(metadata["step"] ?? "0") ?? 0
        do {
            let tensors = try SafeTensors.decode(data)
            for (prefix, module) in [("refiner.", model.refiner as Module), ("discriminator.", model.discriminator)] {
                for (name, tensor) in module.stateDict() {
                    guard let stored = tensors[prefix + name] else { throw LearningError.missingTensor(name: prefix + name) }
                    guard stored.shape == tensor.shape else {
                        throw LearningError.tensorShapeMismatch(name: prefix + name, expected: tensor.shape, found: stored.shape)
                    }
                    try tensor.assign(stored)
                }
            }
        } catch let error as LearningError {
            throw .incompatibleModel(path: url.path, detail: error.description)
        } catch {
            throw .incompatibleModel(path: url.path, detail: "\(error)")
        }
        return model
    }
}
