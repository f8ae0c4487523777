import ArgumentParser
import Datasets
import Dispatch
import Foundation
import Imaging

struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Classical nuclei segmentation: hematoxylin Otsu + distance-transform watershed.",
        discussion: """
        Writes OUT/<name>.png (16-bit label maps) for every image of IMAGES; score them with \
        `annotator metrics --gt DIR --pred OUT`. No learning and no masks are used. Images are \
        processed on all cores.
        """)

    @Option(help: "Folder of H&E images (PNG, TIFF or JPEG).")
    var images: String?

    @Option(help: "A dataset folder; its images/ are segmented (instead of --images).")
    var data: String?

    @Option(help: "Output folder for label maps.")
    var out: String

    @Option(help: "Gaussian sigma on the hematoxylin plane.")
    var smoothing: Double = ClassicalSegmenter.Parameters().smoothingSigma

    @Option(help: "Scale of the Otsu threshold (below 1 takes in paler nuclei).")
    var thresholdScale: Float = ClassicalSegmenter.Parameters().thresholdScale

    @Option(help: "Radius of the opening that detaches thin bridges (0 = none).")
    var opening: Int = ClassicalSegmenter.Parameters().openingRadius

    @Option(help: "Smallest nucleus kept (pixels).")
    var minArea: Int = ClassicalSegmenter.Parameters().minimumArea

    @Option(help: "Gaussian sigma on the distance map before peak finding.")
    var distanceSigma: Double = ClassicalSegmenter.Parameters().distanceSigma

    @Option(help: "Radius within which a marker must be the highest distance.")
    var peakRadius: Int = ClassicalSegmenter.Parameters().peakRadius

    @Option(help: "Lowest distance (pixels) a marker may have.")
    var minPeak: Float = ClassicalSegmenter.Parameters().minimumPeakHeight

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        var parameters = ClassicalSegmenter.Parameters()
        parameters.smoothingSigma = smoothing
        parameters.thresholdScale = thresholdScale
        parameters.openingRadius = opening
        parameters.minimumArea = minArea
        parameters.distanceSigma = distanceSigma
        parameters.peakRadius = peakRadius
        parameters.minimumPeakHeight = minPeak
        let segmenter = ClassicalSegmenter(parameters: parameters)
        guard let folder = images ?? data.map({ URL(fileURLWithPath: $0).appendingPathComponent("images").path }) else {
            throw CLIError("pass --images DIR or --data DIR")
        }
        let files = try ImageFiles.listImages(in: URL(fileURLWithPath: folder))
        guard !files.isEmpty else { throw CLIError("no PNG, TIFF or JPEG images in \(folder)") }
        let output = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let start = ContinuousClock.now
        let results = ResultBox(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let file = files[index]
            let name = file.deletingPathExtension().lastPathComponent
            do {
                let image = try ImageFiles.readRGB(file)
                let labels = segmenter.segment(image)
                try ImageFiles.writeLabelMap(labels, to: output.appendingPathComponent(name + ".png"))
                results.set(index, .success((name, labels.instanceIDs.count)))
                Console.note("\(name): \(labels.instanceIDs.count) nuclei")
            } catch {
                results.set(index, .failure(CLIError("\(name): \(error)")))
            }
        }
        var summary: [(String, Int)] = []
        for result in results.values {
            switch result {
            case let .success(entry): summary.append(entry)
            case let .failure(error): throw error
            case .none: throw CLIError("internal error: an image was not processed")
            }
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        if json {
            struct Entry: Encodable { let name: String; let nuclei: Int }
            struct Summary: Encodable { let images: [Entry]; let seconds: Double }
            try JSONOutput.print(Summary(images: summary.map { Entry(name: $0.0, nuclei: $0.1) }, seconds: seconds))
        } else {
            print(String(format: "segmented %d image(s) in %.1f s → %@", summary.count, seconds, out))
        }
    }
}

/// Per-image results written from concurrent workers.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<(String, Int), CLIError>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<(String, Int), CLIError>) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
