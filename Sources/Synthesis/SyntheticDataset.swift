import Foundation
import Imaging

/// Writes synthetic pairs as a folder dataset (`images/`, `instance_masks/`, plus
/// `synthesis.json` describing how it was made). The folder appears only when complete:
/// everything goes to a hidden sibling first, which is renamed at the end.
public enum SyntheticDataset {
    public static let maximumCount = 100_000

    public struct Manifest: Codable, Sendable, Equatable {
        public var count: Int
        public var seed: UInt64
        public var size: Int
        public var pool: [String]
        public var statistics: PoolStatistics
    }

    @discardableResult
    public static func write(_ synthesizer: Synthesizer, count: Int, seed: UInt64, to root: URL,
                             progress: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws(SynthesisError) -> Manifest {
        guard count > 0, count <= maximumCount else {
            throw .invalidArgument("count must be 1...\(maximumCount), got \(count)")
        }
        let manager = FileManager.default
        guard !manager.fileExists(atPath: root.path) else {
            throw .output(path: root.path, detail: "already exists (choose a new folder)")
        }
        let parent = root.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(root.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        do {
            try manager.createDirectory(at: staging.appendingPathComponent("images"), withIntermediateDirectories: true)
            try manager.createDirectory(at: staging.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        } catch {
            throw .output(path: staging.path, detail: "\(error.localizedDescription)")
        }
        let digits = String(count - 1).count
        do throws(SynthesisError) {
            for index in 0..<count {
                if isCancelled() { throw .invalidArgument("cancelled after \(index) of \(count) pairs") }
                let pair = synthesizer.generate(index: index, seed: seed)
                let name = "synthetic_" + String(repeating: "0", count: max(0, digits - String(index).count)) + String(index)
                do {
                    try ImageFiles.writeRGB(pair.image, to: staging.appendingPathComponent("images/\(name).png"))
                    try ImageFiles.writeLabelMap(pair.labels, to: staging.appendingPathComponent("instance_masks/\(name).png"))
                } catch {
                    throw .output(path: staging.path, detail: error.description)
                }
                progress(index + 1)
            }
            let manifest = Manifest(count: count, seed: seed, size: synthesizer.configuration.size,
                                    pool: synthesizer.pool.sources.map(\.name), statistics: synthesizer.pool.statistics)
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(manifest).write(to: staging.appendingPathComponent("synthesis.json"))
                try manager.moveItem(at: staging, to: root)
            } catch {
                throw .output(path: root.path, detail: "\(error.localizedDescription)")
            }
            return manifest
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
