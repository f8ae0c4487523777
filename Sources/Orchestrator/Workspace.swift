import Foundation

/// The folders of a project next to its SQLite file: datasets, accepted annotations,
/// training mixes, overlays and (for embedded services) the artifact store.
public struct Workspace: Sendable, Codable, Equatable {
    public var root: URL

    public init(root: URL) {
        self.root = root
    }

    /// `<project without extension>.files` beside the project file.
    public init(projectFile: String) {
        let url = URL(fileURLWithPath: projectFile).standardizedFileURL
        root = url.deletingPathExtension().appendingPathExtension("files")
    }

    public var pool: URL { root.appendingPathComponent("pool") }
    public var evaluation: URL { root.appendingPathComponent("eval") }
    public func synthetic(seed: UInt64) -> URL { root.appendingPathComponent("synthetic-\(seed)") }
    public var refined: URL { root.appendingPathComponent("refined") }
    /// Synthetic pairs of another seed for label-free post-processing tuning, and refined.
    public func syntheticValidation(seed: UInt64) -> URL { root.appendingPathComponent("synthetic-validation-\(seed)") }
    public var refinedValidation: URL { root.appendingPathComponent("refined-validation") }
    /// Every accepted annotation as a dataset (images/ + instance_masks/).
    public var annotations: URL { root.appendingPathComponent("annotations") }
    public func trainingMix(cycle: Int) -> URL { root.appendingPathComponent("mix-cycle\(cycle)") }
    public var overlays: URL { root.appendingPathComponent("overlays") }
    public var artifacts: URL { root.appendingPathComponent("artifacts") }
    public var report: URL { root.appendingPathComponent("report") }

    func create() throws {
        for folder in [root, overlays] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }
}
