import Datasets
import Foundation

/// The training set of a later cycle: synthetic pairs plus every accepted annotation,
/// the annotations repeated so that they make about `realShare` of the samples (one real
/// crop among hundreds of synthetic images would otherwise barely be seen). Written as
/// a folder dataset of symbolic links, so any trainer reads it and nothing is copied.
/// Importance weights of the synthetic pairs are carried over.
enum TrainingMix {
    static func build(synthetic: URL, annotated: URL, destination: URL, syntheticLimit: Int,
                      realShare: Double) throws -> URL {
        let fake = try FolderDataset(root: synthetic, requireMasks: true)
        let real = try FolderDataset(root: annotated, requireMasks: true)
        let fakeSamples = Array(fake.samples.prefix(max(1, syntheticLimit)))
        let share = min(max(realShare, 0.05), 0.95)
        let wantedReal = Double(fakeSamples.count) * share / (1 - share)
        let copies = max(1, Int((wantedReal / Double(real.samples.count)).rounded()))

        let manager = FileManager.default
        let staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial")
        try? manager.removeItem(at: staging)
        let images = staging.appendingPathComponent("images"), masks = staging.appendingPathComponent("instance_masks")
        try manager.createDirectory(at: images, withIntermediateDirectories: true)
        try manager.createDirectory(at: masks, withIntermediateDirectories: true)
        func link(_ sample: FolderDataset.Sample, as name: String) throws {
            guard let mask = sample.mask else { return }
            try manager.createSymbolicLink(at: images.appendingPathComponent(name + "." + sample.image.pathExtension),
                                           withDestinationURL: sample.image.standardizedFileURL)
            try manager.createSymbolicLink(at: masks.appendingPathComponent(name + ".png"),
                                           withDestinationURL: mask.standardizedFileURL)
        }
        for sample in fakeSamples { try link(sample, as: "synthetic-\(sample.name)") }
        for sample in real.samples {
            for copy in 0..<copies { try link(sample, as: "annotated-\(sample.name)-\(copy)") }
        }
        // The synthetic pairs keep their importance weights (mean 1); accepted crops weigh 1.
        if let weights = try SampleWeights.read(in: synthetic) {
            let mixed = Dictionary(uniqueKeysWithValues: fakeSamples.compactMap { sample in
                weights[sample.name].map { ("synthetic-\(sample.name)", $0) }
            })
            try SampleWeights.write(mixed, to: staging, details: ["from": synthetic.path])
        }
        try? manager.removeItem(at: destination)
        try manager.moveItem(at: staging, to: destination)
        return destination
    }
}
