import ArgumentParser
import Datasets
import Foundation
import Imaging
import Interactive
import Learning
import Metrics

struct InteractivePoints: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Multi-nucleus mode: one click at each ground-truth nucleus's centre of a crop → instance map; AJI and time.",
        discussion: """
        For each image of --gt, the centred --crop × --crop region; the click of a nucleus is its \
        innermost pixel (as the robot's first click). Nuclei cut by the crop border count too.
        """)

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Folder of images.")
    var images: String
    @Option(help: "Folder of instance label maps (same base names).")
    var gt: String
    @Option(help: "Crop side.")
    var crop = 256
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @OptionGroup var tuning: PredictorTuning
    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        Threads.count = threads
        let paired = try PairedDataset(images: images, gt: gt)
        defer { paired.removeLinks() }
        let dataset = paired.dataset
        let predictor = try tuning.predictor(model: model)
        var ajis: [Double] = [], times: [Double] = []
        for sample in dataset.samples {
            let pair = try dataset.load(sample)
            let side = min(crop, pair.image.width, pair.image.height)
            let rect = CropRect(x: (pair.image.width - side) / 2, y: (pair.image.height - side) / 2, width: side, height: side)
            let cropped = try Crops.crop(pair, rect)
            var points: [(x: Int, y: Int)] = []
            for id in cropped.labels.instanceIDs {
                let mask = cropped.labels.map { $0 == id }
                let distance = DistanceTransform.euclidean(mask)
                let index = distance.storage.indices.max { distance.storage[$0] < distance.storage[$1] }!
                points.append((index % side, index / side))
            }
            let start = ContinuousClock.now
            let labels = try predictor.segmentPoints(image: cropped.image, points: points)
            times.append((ContinuousClock.now - start).milliseconds)
            let scores = try SegmentationMetrics.evaluate(groundTruth: cropped.labels, prediction: labels)
            ajis.append(scores.aji)
            Console.note(String(format: "%@: %d nuclei, AJI %.3f, %.0f ms", sample.name, points.count, scores.aji, times.last!))
        }
        let result = ["aji": ajis.reduce(0, +) / Double(max(ajis.count, 1)), "ms_mean": times.reduce(0, +) / Double(max(times.count, 1)),
                      "ms_max": times.max() ?? 0, "images": Double(ajis.count)]
        if json {
            try JSONOutput.print(result)
        } else {
            print(String(format: "%d crops of %d px: AJI %.3f, %.0f ms mean, %.0f ms max", ajis.count, crop, result["aji"]!,
                         result["ms_mean"]!, result["ms_max"]!))
        }
    }
}
