import ArgumentParser
import Datasets
import Foundation
import Imaging

struct DatasetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Import, export, rescale and look at instance-segmentation datasets.",
        discussion: """
        A dataset folder holds images/ (PNG, TIFF or JPEG) and instance_masks/ (16-bit PNG label maps \
        with the same base names, 0 = background), the layout of ../shared/data/monuseg/{train,test}.
        """,
        subcommands: [DatasetImportMoNuSeg.self, DatasetImportGeoJSON.self, DatasetImportCOCO.self, DatasetCheck.self, DatasetExport.self, DatasetOverlay.self, DatasetRescale.self])
}

struct DatasetImportMoNuSeg: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-monuseg",
        abstract: "Rasterise MoNuSeg Aperio XML annotations into a dataset folder.",
        discussion: """
        For every image with ANNOTATIONS/<name>.xml: copies the image to OUT/images and writes \
        OUT/instance_masks/<name>.png. Polygons are filled at pixel centres on the 1-based \
        vertices, as the organisers' MATLAB poly2mask. Where regions overlap the earlier one keeps \
        the pixels (as MoNuSeg's published training masks), or the later one with --overlap later. \
        Degenerate regions (fewer than 3 distinct vertices, or covering under 2 pixels) are skipped \
        and reported.
        """)

    @Option(help: "Folder of images (TIFF, PNG or JPEG).")
    var images: String

    @Option(help: "Folder of Aperio XML files named like the images.")
    var annotations: String

    @Option(help: "Output dataset folder.")
    var out: String

    @Option(help: "Which region keeps overlapping pixels.")
    var overlap: OverlapRule = .earlierWins

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        let result = try MoNuSeg.importFolder(
            images: URL(fileURLWithPath: images), annotations: URL(fileURLWithPath: annotations),
            output: URL(fileURLWithPath: out), overlap: overlap, progress: { Console.note($0) })
        try ImportReport.show(result, images: images, annotations: annotations, kind: "an XML file", out: out, json: json)
    }
}

extension OverlapRule: ExpressibleByArgument {}

/// What an import command prints: a line, or with --json a summary per image.
enum ImportReport {
    static func show(_ result: (imported: [ImportedImage], missing: [String]), images: String, annotations: String,
                     kind: String, out: String, json: Bool) throws {
        if !result.missing.isEmpty {
            Console.note("\(result.missing.count) image(s) without \(kind) were not imported: "
                         + result.missing.prefix(5).joined(separator: ", ") + (result.missing.count > 5 ? ", …" : ""))
        }
        guard !result.imported.isEmpty else { throw CLIError("no image in \(images) has \(kind) in \(annotations)") }
        if json {
            struct Entry: Encodable { let name: String; let nuclei: Int; let regions: Int; let skipped: [String] }
            struct Summary: Encodable { let imported: [Entry]; let missing_annotations: [String]; let nuclei: Int }
            try JSONOutput.print(Summary(
                imported: result.imported.map { Entry(name: $0.name, nuclei: $0.nuclei, regions: $0.regionCount,
                                                      skipped: $0.skipped.map(\.description)) },
                missing_annotations: result.missing, nuclei: result.imported.map(\.nuclei).reduce(0, +)))
        } else {
            let skipped = result.imported.map(\.skipped.count).reduce(0, +)
            print("imported \(result.imported.count) image(s), \(result.imported.map(\.nuclei).reduce(0, +)) nuclei, "
                  + "\(skipped) unusable region(s) skipped → \(out)")
        }
    }
}

struct DatasetExport: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case png, geojson, coco
    }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export label maps as 16-bit PNG, GeoJSON (QuPath) or COCO instance JSON.",
        discussion: """
        png: OUT/<name>.png, 16-bit label maps. geojson: OUT/<name>.geojson, one FeatureCollection \
        per image, one Polygon per nucleus in pixel coordinates (QuPath: File › Import objects). \
        coco: OUT/annotations.json, one category "nucleus", masks as uncompressed RLE.
        """)

    @Option(help: "Export format: png, geojson or coco.")
    var format: Format

    @Option(help: "Folder of label maps (PNG/TIFF, 8 or 16 bits).")
    var masks: String?

    @Option(help: "A dataset folder; its instance_masks/ are exported (instead of --masks).")
    var data: String?

    @Option(help: "Output folder.")
    var out: String

    @Flag(help: "Print a JSON summary (format, output folder, nuclei per image).")
    var json = false

    struct Summary: Encodable {
        struct Image: Encodable { var name: String; var nuclei: Int }
        var format: String
        var out: String
        var images: [Image]
        var nuclei: Int
    }

    func run() async throws {
        guard let masks = masks ?? data.map({ URL(fileURLWithPath: $0).appendingPathComponent("instance_masks").path }) else {
            throw CLIError("pass --masks DIR or --data DIR")
        }
        let files = try ImageFiles.listImages(in: URL(fileURLWithPath: masks))
        guard !files.isEmpty else { throw CLIError("no PNG or TIFF label maps in \(masks)") }
        let output = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var collected: [(fileName: String, labels: LabelMap)] = []
        var exported: [Summary.Image] = []
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            let labels = try ImageFiles.readLabelMap(file)
            switch format {
            case .png:
                try ImageFiles.writeLabelMap(labels, to: output.appendingPathComponent(name + ".png"))
            case .geojson:
                try GeoJSONExport.data(labels).write(to: output.appendingPathComponent(name + ".geojson"))
            case .coco:
                collected.append((name + ".png", labels))
            }
            exported.append(Summary.Image(name: name, nuclei: labels.instanceIDs.count))
            Console.note("\(name): \(labels.instanceIDs.count) nuclei")
        }
        if format == .coco {
            try COCOExport.data(collected).write(to: output.appendingPathComponent("annotations.json"))
        }
        if json {
            try JSONOutput.print(Summary(format: format.rawValue, out: out, images: exported,
                                         nuclei: exported.map(\.nuclei).reduce(0, +)))
        } else {
            print("exported \(files.count) label map(s) as \(format.rawValue) → \(out)")
        }
    }
}

struct DatasetOverlay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlay",
        abstract: "Draw instance outlines on an image (PNG out).")

    @Option(help: "The image (PNG, TIFF or JPEG).")
    var image: String

    @Option(help: "Its label map.")
    var mask: String

    @Option(help: "Output PNG.")
    var out: String

    @Option(help: "Outline colour as R,G,B.")
    var color: String = "0,255,0"

    @Flag(help: "Print a JSON summary (output file, outlines drawn).")
    var json = false

    func run() async throws {
        let parts = color.split(separator: ",").compactMap { UInt8($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3 else { throw CLIError("--color must be R,G,B with values 0-255, got \(color)") }
        let picture = try ImageFiles.readRGB(URL(fileURLWithPath: image))
        let labels = try ImageFiles.readLabelMap(URL(fileURLWithPath: mask))
        let drawn = try Overlay.outlines(picture, labels, color: (parts[0], parts[1], parts[2]))
        try ImageFiles.writeRGB(drawn, to: URL(fileURLWithPath: out))
        if json {
            struct Summary: Encodable { var out: String; var outlines: Int }
            try JSONOutput.print(Summary(out: out, outlines: labels.instanceIDs.count))
        } else {
            print("\(labels.instanceIDs.count) outlines → \(out)")
        }
    }
}
