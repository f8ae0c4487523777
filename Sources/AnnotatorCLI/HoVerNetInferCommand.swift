import Clients
import Wire
import ArgumentParser
import Foundation
import HoVerNet
import Imaging

struct HoVerNetInfer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Segment every image of a folder with a HoVer-Net model.",
        discussion: """
        Writes OUT/<name>.png (16-bit label maps) and prints each image's uncertainty (mean NP \
        entropy in bits); score with `annotator metrics --gt DIR --pred OUT`. A model with an \
        NC head (trained with --types) also writes OUT/<name>.types.json: each nucleus's type \
        by instance id.
        """)

    @Option(help: "Model file (.safetensors) written by `hovernet train`.")
    var model: String

    @Option(help: "Folder of H&E images (PNG, TIFF or JPEG; gray and RGBA are converted).")
    var images: String

    @Option(help: "Output folder for label maps.")
    var out: String

    @Option(help: "Largest tile side fed to the network.")
    var tile = TilingOptions().maximumTile

    @Option(help: "Context margin of each tile (pixels).")
    var margin = TilingOptions().margin

    @Option(help: "NP probability at or above which a pixel is nuclear (default: the model's tuned value, else 0.5).")
    var foregroundThreshold: Float?

    @Option(help: "Marker (edge) threshold of the post-processing (default: the model's tuned value, else 0.4).")
    var edgeThreshold: Float?

    @Option(help: "Smallest object and marker kept, pixels (default: the model's tuned value, else 30).")
    var minArea: Int?

    @Flag(help: "Test-time augmentation: average the maps over the image and its 3 mirror images (4× the time).")
    var tta = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    @Option(help: "HoVerNet service endpoint; without it the model runs in-process. The service reads the model from --model's path (shared volume) or its store.")
    var endpoint: String?

    func validate() throws {
        if endpoint != nil, foregroundThreshold != nil || edgeThreshold != nil || minArea != nil || tta {
            throw ValidationError("post-processing overrides and --tta apply in-process only; the service uses the model's own parameters")
        }
    }

    func run() async throws {
        let segment: (RGBImage, String) async throws -> (labels: LabelMap, uncertainty: Double, types: [UInt32: UInt8]?)
        var remote: RPCClient?
        if let endpoint {
            let rpc = try RPCClient(endpoint: endpoint)
            remote = rpc
            let reference = try RemoteModels.reference(forFile: model, kind: "hovernet-model")
            segment = { image, name in
                let result = try await HoVerNetClient(rpc: rpc).infer(image, name: name, model: reference)
                return (result.labels, result.uncertainty, result.types.isEmpty ? nil : result.types)
            }
        } else {
            let segmenter = try HoVerNetSegmenter(modelFile: URL(fileURLWithPath: model),
                                                  tiling: TilingOptions(maximumTile: tile, margin: margin))
            if let foregroundThreshold { segmenter.postProcessor.parameters.foregroundThreshold = foregroundThreshold }
            if let edgeThreshold { segmenter.postProcessor.parameters.edgeThreshold = edgeThreshold }
            if let minArea { segmenter.postProcessor.parameters.minimumObjectArea = minArea }
            segmenter.flipAveraging = tta
            segment = { image, _ in
                let result = try segmenter.segment(image)
                return (result.labels, result.uncertainty, result.instanceTypes)
            }
        }
        defer { remote?.close() }
        let files = try ImageFiles.listImages(in: URL(fileURLWithPath: images))
        guard !files.isEmpty else { throw CLIError("no PNG, TIFF or JPEG images in \(images)") }
        let output = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        struct Entry: Encodable { let name: String; let nuclei: Int; let uncertainty: Double; let seconds: Double }
        var entries: [Entry] = []
        let start = ContinuousClock.now
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            let began = ContinuousClock.now
            let result = try await segment(try ImageFiles.readRGB(file), name)
            let seconds = (ContinuousClock.now - began).milliseconds / 1000
            try ImageFiles.writeLabelMap(result.labels, to: output.appendingPathComponent(name + ".png"))
            if let types = result.types {
                let table = Dictionary(uniqueKeysWithValues: types.map { (String($0.key), Int($0.value)) })
                try JSONOutput.encoded(table).write(to: output.appendingPathComponent(name + ".types.json"), options: .atomic)
            }
            let entry = Entry(name: name, nuclei: result.labels.instanceIDs.count, uncertainty: result.uncertainty, seconds: seconds)
            entries.append(entry)
            if !json { print(String(format: "%@\t%d nuclei\tuncertainty %.4f\t%.2f s", name, entry.nuclei, entry.uncertainty, seconds)) }
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        if json {
            struct Summary: Encodable { let images: [Entry]; let seconds: Double }
            try JSONOutput.print(Summary(images: entries, seconds: seconds))
        } else {
            print(String(format: "segmented %d image(s) in %.1f s → %@", entries.count, seconds, out))
        }
    }
}
