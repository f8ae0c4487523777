import ArgumentParser
import Datasets
import Foundation
import Imaging

struct DatasetImportGeoJSON: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-geojson",
        abstract: "Rasterise GeoJSON outlines (QuPath's object export, or `dataset export --format geojson`) into a dataset folder.",
        discussion: """
        For every image with ANNOTATIONS/<name>.geojson (or .json): copies the image to OUT/images \
        and writes OUT/instance_masks/<name>.png, one label per Polygon or MultiPolygon feature in \
        file order (holes left out). Coordinates are pixels from the image's top-left corner, as \
        QuPath writes them; a pixel belongs to an outline when its centre is inside. A QuPath cell \
        contributes its nucleus outline (nucleusGeometry). --class keeps only the features of one \
        classification (e.g. Nucleus, when the file also holds tissue regions). Features that are \
        no outline (points, lines) or cover no pixel are skipped and reported.
        """)

    @Option(help: "Folder of images (PNG, TIFF or JPEG).")
    var images: String

    @Option(help: "Folder of GeoJSON files named like the images.")
    var annotations: String

    @Option(help: "Output dataset folder.")
    var out: String

    @Option(name: .customLong("class"), help: "Import only features of this classification name.")
    var className: String?

    @Option(help: "The images' top-left corner in the outlines' coordinates, as X,Y: QuPath writes whole-slide coordinates, so tiles exported from (X, Y) of a slide need it. (default: 0,0)")
    var origin: String?

    @Option(help: "Which outline keeps overlapping pixels.")
    var overlap: OverlapRule = .earlierWins

    @Flag(help: "Print a JSON summary.")
    var json = false

    func validate() throws {
        if let origin { _ = try Self.point(origin) }
    }

    func run() async throws {
        let corner = try origin.map(Self.point) ?? Point(x: 0, y: 0)
        let result = try GeoJSONImport.importFolder(
            images: URL(fileURLWithPath: images), annotations: URL(fileURLWithPath: annotations),
            output: URL(fileURLWithPath: out), className: className, origin: corner, overlap: overlap, progress: { Console.note($0) })
        try ImportReport.show(result, images: images, annotations: annotations, kind: "a GeoJSON file", out: out, json: json)
    }

    static func point(_ text: String) throws -> Point {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let x = parts[0], let y = parts[1], x.isFinite, y.isFinite else {
            throw ValidationError("--origin must be X,Y (pixels), got \(text)")
        }
        return Point(x: x, y: y)
    }
}
