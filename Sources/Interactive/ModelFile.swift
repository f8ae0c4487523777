import Foundation
import Learning
#if canImport(Glibc)
import Glibc
#endif

/// Weights files of the interactive network: safetensors whose metadata carries the format
/// tag, the architecture (JSON of `InteractiveModelConfiguration`), the zoom-in geometry the
/// network was trained with and training progress, so loading rebuilds the right network
/// (and predicts at the scales it learned) or fails with a message saying what differs.
public enum ModelFile {
    static let format = "annotator.interactive.v1"

    public struct Metadata: Sendable, Equatable {
        public var configuration: InteractiveModelConfiguration
        /// Optimiser steps the weights have seen (resume continues from here).
        public var steps: Int
        public var seed: UInt64
        /// Nil for files written before the geometry was stored (they were trained with
        /// `TrainingZoom.legacy`).
        public var zoom: TrainingZoom?
    }

    /// Writes atomically: a temporary file next to `url`, then a rename, so a reader (or a
    /// crash) never sees half a file.
    public static func save(_ network: InteractiveNetwork, to url: URL, steps: Int = 0, seed: UInt64 = 0,
                            zoom: TrainingZoom? = nil) throws(InteractiveError) {
        var metadata = ["format": format, "steps": String(steps), "seed": String(seed)]
        do {
            metadata["configuration"] = String(decoding: try JSONEncoder().encode(network.configuration), as: UTF8.self)
            if let zoom { metadata["zoom"] = String(decoding: try JSONEncoder().encode(zoom), as: UTF8.self) }
        } catch {
            throw .modelFile(path: url.path, detail: "cannot encode the configuration: \(error)")
        }
        let data = try engine { () throws(LearningError) in try SafeTensors.encode(network.stateDict(), metadata: metadata) }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw .modelFile(path: url.path, detail: "cannot write: \(error)")
        }
        // rename(2) replaces atomically; FileManager's replace is not atomic on Linux.
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .modelFile(path: url.path, detail: "cannot replace: \(reason)")
        }
    }

    /// Reads only the metadata (the safetensors reader of the engine drops it).
    public static func metadata(of url: URL) throws(InteractiveError) -> Metadata {
        let metadata: [String: String]
        do { metadata = try SafeTensors.metadata(of: url) } catch { throw .modelFile(path: url.path, detail: "\(error)") }
        guard metadata["format"] == format,
              let json = metadata["configuration"] else {
            throw .modelFile(path: url.path, detail: "not an interactive segmentation model (no '\(format)' metadata)")
        }
        let configuration: InteractiveModelConfiguration
        do {
            configuration = try JSONDecoder().decode(InteractiveModelConfiguration.self, from: Data(json.utf8))
        } catch {
            throw .modelFile(path: url.path, detail: "unreadable architecture metadata: \(error)")
        }
        var zoom: TrainingZoom?
        if let json = metadata["zoom"] {
            do { zoom = try JSONDecoder().decode(TrainingZoom.self, from: Data(json.utf8)) } catch {
                throw .modelFile(path: url.path, detail: "unreadable zoom metadata: \(error)")
            }
        }
        return Metadata(configuration: configuration, steps: Int(metadata["steps"] ?? "") ?? 0,
                        seed: UInt64(metadata["seed"] ?? "") ?? 0, zoom: zoom)
    }

    /// Builds the network the file describes and loads its weights (in eval mode).
    public static func load(_ url: URL) throws(InteractiveError) -> (InteractiveNetwork, Metadata) {
        let metadata = try metadata(of: url)
        try metadata.configuration.validate()
        let network = InteractiveNetwork(configuration: metadata.configuration)
        try loadWeights(into: network, from: url)
        network.setTraining(false)
        return (network, metadata)
    }

    /// Loads `url`'s weights into an existing network (warm start); the architectures must
    /// match exactly.
    public static func loadWeights(into network: InteractiveNetwork, from url: URL) throws(InteractiveError) {
        let stored = try metadata(of: url)
        guard stored.configuration == network.configuration else {
            throw .modelFile(path: url.path, detail: "architecture differs: file has \(describe(stored.configuration)), "
                             + "model is \(describe(network.configuration))")
        }
        do {
            try network.load(from: url)
        } catch {
            throw .modelFile(path: url.path, detail: "\(error)")
        }
    }

    static func describe(_ c: InteractiveModelConfiguration) -> String {
        "input \(c.inputSize), channels \(c.highChannels)/\(c.lowChannels), \(c.stages) stages × \(c.blocksPerStage) blocks, "
            + "head \(c.headChannels)\(c.detailChannels > 0 ? " + \(c.detailChannels)-channel full-resolution refinement" : ""), clicks \(c.clickEncoding.rawValue) r=\(c.clickRadius)"
    }
}
