import ArgumentParser
import Datasets
import Foundation
import Imaging

struct BenchImaging: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imaging",
        abstract: "Time the image-processing kernels on a 1000×1000 H&E image.",
        discussion: """
        EDT, watershed, Sobel 21×21 (both derivatives), Telea inpainting of the nuclear mask \
        (radius 5) and colour deconvolution: the fastest of --repeats runs each, the run least \
        disturbed by other work on a shared machine. The nuclear mask \
        and markers come from the classical segmenter and are not timed. The image is --image, \
        else the first MoNuSeg test image under ../shared (or ANNOTATOR_SHARED), else the \
        bundled sample crop scaled to 1000×1000.
        """)

    @Option(help: "Image to use (PNG, TIFF or JPEG).")
    var image: String?

    @Option(help: "Timed runs per operation (the fastest is reported).")
    var repeats = 5

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let (picture, source) = try loadImage()
        if !json { Console.note("image: \(source) (\(picture.width)×\(picture.height))") }
        let segmenter = ClassicalSegmenter()
        let p = segmenter.parameters
        var stains = ColorDeconvolution.separate(picture)
        let deconvolution = try fastest { stains = ColorDeconvolution.separate(picture) }
        let hematoxylin = GaussianBlur.apply(stains.hematoxylin, sigma: p.smoothingSigma)
        let threshold = Otsu.threshold(hematoxylin)
        let mask = ConnectedComponents.removeSmall(HoleFilling.fill(hematoxylin.map { $0 > threshold }),
                                                   minimumArea: p.minimumArea)
        var distance = DistanceTransform.euclidean(mask)
        let edt = try fastest { distance = DistanceTransform.euclidean(mask) }
        let elevation = GaussianBlur.apply(distance, sigma: p.distanceSigma).map { -$0 }
        let markers = ConnectedComponents.label(
            LocalMaxima.mask(elevation.map { -$0 }, radius: p.peakRadius, minimum: p.minimumPeakHeight, within: mask))
        var labels = try Watershed.flood(elevation, markers: markers, mask: mask)
        let watershed = try fastest { labels = try Watershed.flood(elevation, markers: markers, mask: mask) }
        var gradients = Sobel.apply(hematoxylin, size: 21)
        let sobel = try fastest { gradients = Sobel.apply(hematoxylin, size: 21) }
        var filled = picture
        let inpaint = try fastest(runs: max(1, min(repeats, 3))) { filled = try Inpainting.telea(picture, mask: mask, radius: 5) }
        _ = (labels, gradients, filled)
        let results: [String: Double] = [
            "edt_ms": edt, "watershed_ms": watershed, "sobel21_ms": sobel, "inpaint_ms": inpaint,
            "deconvolution_ms": deconvolution,
        ]
        if json {
            try JSONOutput.print(results)
        } else {
            let foreground = mask.storage.filter { $0 }.count
            print(String(format: "mask: %.1f%% foreground, %d markers", 100 * Double(foreground) / Double(mask.count), markers.maxLabel))
            for key in results.keys.sorted() { print(String(format: "%-18@ %8.2f ms", key, results[key]!)) }
        }
    }

    private func fastest(runs: Int? = nil, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, runs ?? repeats) {
            let start = ContinuousClock.now
            try body()
            times.append((ContinuousClock.now - start).milliseconds)
        }
        return times.min()!
    }

    private func loadImage() throws -> (RGBImage, String) {
        if let image { return (try ImageFiles.readRGB(URL(fileURLWithPath: image)), image) }
        var roots = ["../shared"]
        if let shared = ProcessInfo.processInfo.environment["ANNOTATOR_SHARED"] { roots.insert(shared, at: 0) }
        for root in roots {
            let folder = URL(fileURLWithPath: root).appendingPathComponent("data/monuseg/test/images")
            if let first = try? ImageFiles.listImages(in: folder).first {
                return (try ImageFiles.readRGB(first), first.path)
            }
        }
        let samples = URL(fileURLWithPath: "Samples/monuseg-mini/images")
        guard let first = try? ImageFiles.listImages(in: samples).first else {
            throw CLIError("no image: pass --image, or run from the repository (Samples/monuseg-mini) or next to ../shared")
        }
        let crop = try ImageFiles.readRGB(first)
        return (Resize.bilinear(crop, width: 1000, height: 1000), first.path + " scaled to 1000×1000")
    }
}
