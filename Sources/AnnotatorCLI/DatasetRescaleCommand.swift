import ArgumentParser
import Datasets
import Foundation

struct DatasetRescale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescale",
        abstract: "Resample a dataset or label maps to another magnification (e.g. 20× scans to the models' 40×).",
        discussion: """
        Every model's defaults (zoom-in windows, HoVerNet patches and minimum nucleus areas, the \
        smallest nucleus synthesis takes from a pool) are tuned to MoNuSeg's 40× scans, about \
        0.25 µm per pixel, where nuclei are 10–40 px across. \
        Bring other scans there before training or annotating: --microns-per-pixel 0.5 (20×) \
        enlarges them twofold. --data DIR rescales a dataset folder (images/ and, where present, \
        instance_masks/) into OUT in the same layout, as PNG; --masks DIR rescales a folder of label \
        maps, e.g. predictions, back to the scan's resolution with --scale 0.5. Images are \
        interpolated bilinearly (smoothed first when shrinking), label maps by nearest neighbour; \
        nuclei too small to keep a pixel are reported.
        """)

    @Option(help: "A dataset folder (images/ and optionally instance_masks/).")
    var data: String?

    @Option(help: "A folder of label maps (instead of --data).")
    var masks: String?

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Output side ÷ input side (0.125…8).")
    var scale: Double?

    @Option(help: "The input's resolution in µm per pixel (instead of --scale).")
    var micronsPerPixel: Double?

    @Option(help: "The resolution to bring it to, µm per pixel. (default: 0.25, MoNuSeg's 40×)")
    var targetMicronsPerPixel: Double = Rescaling.monusegMicronsPerPixel

    @Flag(help: "Print a JSON summary (scale, output folder, size and nuclei per image).")
    var json = false

    func validate() throws {
        guard (data == nil) != (masks == nil) else { throw ValidationError("pass either --data DIR or --masks DIR") }
        guard (scale == nil) != (micronsPerPixel == nil) else {
            throw ValidationError("pass either --scale F or --microns-per-pixel X")
        }
    }

    struct Summary: Encodable {
        struct Image: Encodable { var name: String; var width: Int; var height: Int; var nuclei: Int?; var lost: Int }
        var scale: Double
        var out: String
        var images: [Image]
        var lost: Int
    }

    func run() async throws {
        let rescaling = try scale.map { try Rescaling(scale: $0) }
            ?? Rescaling(micronsPerPixel: micronsPerPixel ?? 0, target: targetMicronsPerPixel)
        let output = URL(fileURLWithPath: out)
        let done: [Rescaling.RescaledSample]
        if let data {
            let dataset = try FolderDataset(root: URL(fileURLWithPath: data), requireMasks: false)
            done = try rescaling.rescale(dataset, to: output, progress: { Console.note($0) })
        } else {
            done = try rescaling.rescaleLabelMaps(in: URL(fileURLWithPath: masks ?? ""), to: output,
                                                  progress: { Console.note($0) })
        }
        let lost = done.map(\.lost).reduce(0, +)
        if json {
            try JSONOutput.print(Summary(
                scale: rescaling.scale, out: out,
                images: done.map { .init(name: $0.name, width: $0.width, height: $0.height, nuclei: $0.nuclei, lost: $0.lost) },
                lost: lost))
        } else {
            print("rescaled \(done.count) file(s) by \(rescaling.scale)"
                  + (lost > 0 ? ", \(lost) nuclei too small to keep" : "") + " → \(out)")
        }
    }
}
