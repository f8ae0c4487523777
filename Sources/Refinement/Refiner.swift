import Datasets
import Foundation
import Imaging
import Learning

/// Applies a trained refiner to synthetic images and datasets.
public enum Refiner {
    /// R(image), same size (R is fully convolutional).
    public static func refine(_ image: RGBImage, model: RefinerModel) throws(RefinementError) -> RGBImage {
        do {
            return try Autograd.noGrad { () throws(LearningError) -> RGBImage in
                Patches.image(try model.refiner(Patches.tensor([image])))
            }
        } catch {
            throw .learning(error)
        }
    }

    /// Mean p(synthetic) of D over the image's patch map.
    public static func syntheticProbability(_ image: RGBImage, model: RefinerModel) throws(RefinementError) -> Double {
        do {
            return try Autograd.noGrad { () throws(LearningError) -> Double in
                let logits = try model.discriminator(Patches.tensor([image]))
                let total = logits.values.reduce(0.0) { $0 + 1 / (1 + exp(-Double($1))) }
                return total / Double(max(1, logits.count))
            }
        } catch {
            throw .learning(error)
        }
    }

    public struct ApplyReport: Sendable {
        public var images: Int
        /// Importance weight per sample name (mean 1), when requested.
        public var weights: [String: Double]
    }

    /// Refines every image of the folder dataset at `synthetic` into a new dataset at `out`
    /// (masks copied byte for byte; `synthesis.json` carried over). With `weights`, writes
    /// `weights.json`: Hou et al.'s importance weight c·D/(1−D) per sample, with D the
    /// discriminator's probability that the refined image is real and c normalising the
    /// mean weight to 1, so a trainer can multiply each sample's loss by it. The output
    /// appears only when complete (staged under a hidden name, then renamed).
    @discardableResult
    public static func apply(model: RefinerModel, synthetic: URL, out: URL, weights: Bool = true,
                             progress: (Int, Int) -> Void = { _, _ in }) throws(RefinementError) -> ApplyReport {
        let dataset: FolderDataset
        do { dataset = try FolderDataset(root: synthetic, requireMasks: true) } catch { throw .dataset(error) }
        let manager = FileManager.default
        guard !manager.fileExists(atPath: out.path) else { throw .output(path: out.path, detail: "already exists (choose a new folder)") }
        let staging = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        do {
            try manager.createDirectory(at: staging.appendingPathComponent("images"), withIntermediateDirectories: true)
            try manager.createDirectory(at: staging.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        } catch {
            throw .output(path: staging.path, detail: error.localizedDescription)
        }
        do throws(RefinementError) {
            var ratios: [String: Double] = [:]
            for (index, sample) in dataset.samples.enumerated() {
                let image: RGBImage
                do { image = try dataset.loadImage(sample) } catch { throw .dataset(error) }
                let refined = try refine(image, model: model)
                do {
                    try ImageFiles.writeRGB(refined, to: staging.appendingPathComponent("images/\(sample.name).png"))
                    try manager.copyItem(at: sample.mask!, to: staging.appendingPathComponent("instance_masks/\(sample.mask!.lastPathComponent)"))
                } catch {
                    throw .output(path: staging.path, detail: "\(error)")
                }
                if weights {
                    let pReal = min(1 - 1e-4, max(1e-4, 1 - (try syntheticProbability(refined, model: model))))
                    ratios[sample.name] = pReal / (1 - pReal)
                }
                progress(index + 1, dataset.samples.count)
            }
            let mean = ratios.values.reduce(0, +) / Double(max(1, ratios.count))
            let normalised = ratios.mapValues { mean > 0 ? $0 / mean : 1 }
            do {
                if weights {
                    try SampleWeights.write(normalised, to: staging, details: [
                        "definition": "c*D/(1-D), D = discriminator probability that the refined image is real, c = 1/mean",
                        "model_step": model.step,
                    ])
                }
                let manifest = synthetic.appendingPathComponent("synthesis.json")
                if manager.fileExists(atPath: manifest.path) {
                    try manager.copyItem(at: manifest, to: staging.appendingPathComponent("synthesis.json"))
                }
                try manager.moveItem(at: staging, to: out)
            } catch {
                throw .output(path: out.path, detail: "\(error)")
            }
            return ApplyReport(images: dataset.samples.count, weights: normalised)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
