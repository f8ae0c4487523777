import ArgumentParser
import Datasets
import Foundation
import Imaging
import Refinement
import Synthesis

struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Make synthetic (image, instance mask) pairs from unannotated images, and measure their realism.",
        discussion: """
        The pool is a folder of images, or a dataset folder whose images/ are used (its masks are \
        never read). Synthesis after Hou et al. (CVPR 2019): nuclei removed from a real crop and \
        inpainted; random nuclear polygons drawn from the pool's own statistics; real nuclear texture.
        """,
        subcommands: [SynthGenerate.self, SynthRealism.self])
}

struct SynthGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write COUNT synthetic pairs as a dataset folder (images/, instance_masks/, synthesis.json).",
        discussion: "OUT must not exist; it appears only when every pair is written.")

    @Option(help: "Pool of unannotated images (folder, or dataset folder with images/).")
    var pool: String

    @Option(help: "Number of pairs (1...\(SyntheticDataset.maximumCount)).")
    var count: Int

    @Option(help: "Output dataset folder (must not exist).")
    var out: String

    @Option(help: "Seed: the same seed and pool give the same pairs.")
    var seed: UInt64 = 1

    @Option(help: "Side of the square synthetic images (pixels).")
    var size = 256

    @Option(help: "Use at most this many pool images (all by default).")
    var poolImages: Int?

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        guard count > 0, count <= SyntheticDataset.maximumCount else {
            throw CLIError("--count must be 1...\(SyntheticDataset.maximumCount), got \(count)")
        }
        let start = ContinuousClock.now
        let loaded = try SynthesisPool.load(folder: URL(fileURLWithPath: pool), maximumImages: poolImages)
        for (name, reason) in loaded.skipped { Console.note("skipped \(name): \(reason)") }
        let prepared = ContinuousClock.now
        let synthesizer = try Synthesizer(pool: loaded, configuration: .init(size: size))
        let manifest = try SyntheticDataset.write(synthesizer, count: count, seed: seed, to: URL(fileURLWithPath: out),
                                                  progress: { done in if !json && done % 50 == 0 { Console.note("\(done)/\(count)") } })
        let generation = (ContinuousClock.now - prepared).milliseconds / 1000
        let stats = manifest.statistics
        if json {
            struct Summary: Encodable {
                let out: String, count: Int, seed: UInt64, size: Int, pool_images: Int, skipped: [String]
                let pool_seconds: Double, generate_seconds: Double, pairs_per_s: Double
                let median_area: Double, area_range: [Double], nuclear_coverage: Double
            }
            try JSONOutput.print(Summary(
                out: out, count: count, seed: seed, size: size, pool_images: loaded.sources.count,
                skipped: loaded.skipped.map(\.name), pool_seconds: (prepared - start).milliseconds / 1000,
                generate_seconds: generation, pairs_per_s: Double(count) / max(generation, 1e-9),
                median_area: stats.medianArea, area_range: [stats.minimumArea, stats.maximumArea],
                nuclear_coverage: stats.nuclearCoverage))
        } else {
            print(String(format: "wrote %d pairs of %d×%d to %@ (%.1f pairs/s; pool of %d images, nucleus area %.0f–%.0f px, coverage %.1f%%)",
                         count, size, size, out, Double(count) / max(generation, 1e-9), loaded.sources.count,
                         stats.minimumArea, stats.maximumArea, stats.nuclearCoverage * 100))
        }
    }
}

struct SynthRealism: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "realism",
        abstract: "Held-out accuracy of a small real-vs-synthetic patch classifier (0.5 = indistinguishable).",
        discussion: """
        The classifier is trained with the engine on patches of 70% of the images of each side and \
        tested on patches of the rest. With --overlays, writes the first synthetic images with their \
        instance outlines as PNGs for a person to look at.
        """)

    @Option(help: "Pool of real unannotated images.")
    var pool: String

    @Option(help: "Synthetic dataset folder (images/, instance_masks/).")
    var synthetic: String

    @Option(help: "Folder for overlay PNGs of examples.")
    var overlays: String?

    @Option(help: "Classifier training steps.")
    var steps = 300

    @Option(help: "Use at most this many images per side.")
    var limit = 200

    @Option(help: "Seed of the classifier and of the patch draws.")
    var seed: UInt64 = 1

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        let real = try ImageFolder.load(URL(fileURLWithPath: pool), limit: limit)
        let syntheticURL = URL(fileURLWithPath: synthetic)
        let dataset = try FolderDataset(root: syntheticURL, requireMasks: false)
        let samples = Array(dataset.samples.prefix(limit))
        let fakes = try samples.map { try dataset.loadImage($0) }
        var configuration = RealismMeasure.Configuration()
        configuration.steps = steps
        configuration.seed = seed
        configuration.heldOutPatches = 256
        let result = try RealismMeasure.evaluate(real: real, synthetic: fakes, configuration: configuration)
        var written: [String] = []
        if let overlays {
            let folder = URL(fileURLWithPath: overlays)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for sample in samples.filter({ $0.mask != nil }).prefix(4) {
                let pair = try dataset.load(sample)
                let url = folder.appendingPathComponent("\(sample.name)_overlay.png")
                try ImageFiles.writeRGB(try Overlay.outlines(pair.image, pair.labels), to: url)
                written.append(url.path)
            }
        }
        if json {
            struct Summary: Encodable { let held_out_accuracy: Double; let final_training_loss: Double; let overlays: [String] }
            try JSONOutput.print(Summary(held_out_accuracy: result.heldOutAccuracy, final_training_loss: result.finalTrainingLoss,
                                         overlays: written))
        } else {
            print(String(format: "real-vs-synthetic held-out accuracy %.3f (0.5 = indistinguishable)", result.heldOutAccuracy))
            for path in written { print("overlay: \(path)") }
        }
    }
}

/// Reads the images of a pool folder (`images/` inside it when present).
enum ImageFolder {
    static func load(_ folder: URL, limit: Int = .max) throws -> [RGBImage] {
        let inner = folder.appendingPathComponent("images")
        var isDirectory: ObjCBool = false
        let directory = FileManager.default.fileExists(atPath: inner.path, isDirectory: &isDirectory) && isDirectory.boolValue ? inner : folder
        let urls = try ImageFiles.listImages(in: directory)
        guard !urls.isEmpty else { throw CLIError("no PNG, TIFF or JPEG images in \(directory.path)") }
        return try urls.prefix(limit).map { try ImageFiles.readRGB($0) }
    }
}
