import ArgumentParser
import Foundation
import HoVerNet
import Imaging
import Learning
#if canImport(Glibc)
import Glibc
import Randomness
#endif

/// `annotator bench hovernet`: training throughput, whole-image inference and
/// post-processing time of the default HoVer-Net on a 1000×1000 image.
struct BenchHoVerNet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hovernet",
        abstract: "Time HoVer-Net training (patches/s), inference and post-processing of a 1000×1000 image.",
        discussion: """
        Uses the first MoNuSeg training image and label map under ../shared/data/monuseg (or \
        ANNOTATOR_SHARED) when present, else a synthetic image of disks. Training: batch --batch \
        of 256×256 patches, timed over --steps after 2 warm-up steps. Inference: --model or \
        random weights (the time does not depend on them), medians of --repeats runs; \
        post-processing is timed on the network's own output.
        """)

    @Option(help: "Model file (default: the default architecture with random weights).")
    var model: String?

    @Option(help: "Timed training steps.")
    var steps = 4

    @Option(help: "Patches per training step.")
    var batch = 8

    @Option(help: "Timed inference runs (the median is reported).")
    var repeats = 3

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let pair = try Self.benchImage()
        let set = try TrainingSet(pairs: [pair.image])
        // Training throughput: time between the report of warm-up step 2 and the last step.
        var options = TrainingOptions(steps: 2 + steps)
        options.batchSize = batch
        var marks: [Int: Double] = [:]
        let training = try HoVerNetTrainer.train(data: set, options: options) { report in
            if report.event == .step {
                marks[report.step] = report.elapsedSeconds
                if !json { Console.note(String(format: "train step %d: %.2f s elapsed", report.step, report.elapsedSeconds)) }
            }
        }
        let trainSeconds = (marks[2 + steps] ?? training.seconds) - (marks[2] ?? 0)
        let patchesPerSecond = Double(steps * batch) / max(trainSeconds, 1e-9)

        let segmenter = try model.map { try HoVerNetSegmenter(modelFile: URL(fileURLWithPath: $0)) }
            ?? HoVerNetSegmenter(model: try HoVerNetModel())
        var inferTimes: [Double] = [], postTimes: [Double] = []
        var nuclei = 0
        for run in 0..<(1 + max(repeats, 1)) {
            let start = ContinuousClock.now
            let prediction = try segmenter.predict(pair.image.image)
            let middle = ContinuousClock.now
            let labels = try segmenter.postProcessor.instances(probability: prediction.probability, horizontal: prediction.horizontal,
                                                               vertical: prediction.vertical)
            _ = prediction.meanEntropy
            let end = ContinuousClock.now
            nuclei = labels.instanceIDs.count
            // The first run warms the buffer pool and caches; it is not reported.
            if run > 0 {
                inferTimes.append((end - start).milliseconds / 1000)
                postTimes.append((end - middle).milliseconds)
            }
            if !json { Console.note(String(format: "inference %d: %.2f s (post-processing %.0f ms)", run, (end - start).milliseconds / 1000, (end - middle).milliseconds)) }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let results: [String: Double] = [
            "train_patches_per_s": patchesPerSecond,
            "infer_s_per_image": median(inferTimes),
            "postprocess_ms_per_image": median(postTimes),
            "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
            "image_width": Double(pair.image.image.width),
            "image_height": Double(pair.image.image.height),
            "nuclei": Double(nuclei),
            "parameters": Double(training.parameters),
            "gflops_per_256": training.gflopsPer256,
        ]
        if json {
            try JSONOutput.print(results)
        } else {
            print(String(format: "%@ (%d×%d): training %.2f patches/s; inference %.2f s/image incl. post-processing %.0f ms; peak RSS %.0f MiB; blas %@",
                         pair.name, pair.image.image.width, pair.image.image.height, patchesPerSecond, results["infer_s_per_image"]!,
                         results["postprocess_ms_per_image"]!, results["peak_rss_mib"]!, Threads.blasCoreName))
        }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    /// A MoNuSeg training pair when the shared data is present, else synthetic disks.
    static func benchImage() throws -> (name: String, image: LabeledImage) {
        let environment = ProcessInfo.processInfo.environment["ANNOTATOR_SHARED"]
        let roots = [environment, "../shared", "/work/shared"].compactMap { $0 }.map { URL(fileURLWithPath: $0).appendingPathComponent("data/monuseg/train") }
        for root in roots where FileManager.default.fileExists(atPath: root.appendingPathComponent("images").path) {
            let set = try TrainingSet.load(folder: root)
            return (set.names[0], set.pairs[0])
        }
        var generator = SplitMix64(seed: 1)
        var labels = LabelMap(width: 1000, height: 1000, repeating: 0)
        var pixels = [UInt8](repeating: 0, count: 1000 * 1000 * 3)
        for index in 0..<1000 * 1000 { pixels[index * 3] = 225; pixels[index * 3 + 1] = 165; pixels[index * 3 + 2] = 200 }
        for label in 1...600 {
            let cx = Int.random(in: 10..<990, using: &generator), cy = Int.random(in: 10..<990, using: &generator)
            let r = Int.random(in: 4...9, using: &generator)
            for y in max(0, cy - r)...min(999, cy + r) {
                for x in max(0, cx - r)...min(999, cx + r) where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                    labels[x, y] = UInt32(label)
                    let i = (y * 1000 + x) * 3
                    pixels[i] = 90; pixels[i + 1] = 60; pixels[i + 2] = 150
                }
            }
        }
        return ("synthetic", try LabeledImage(image: try RGBImage(width: 1000, height: 1000, pixels: pixels), labels: labels))
    }
}
