import ArgumentParser
import Datasets
import Foundation

struct DatasetImportCOCO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-coco",
        abstract: "Rasterise COCO instance annotations (`dataset export --format coco`, pycocotools, CVAT, …) into a dataset folder.",
        discussion: """
        For every image of IMAGES that the COCO file lists (matched by base name, size checked): \
        copies it to OUT/images and writes OUT/instance_masks/<name>.png, one label per \
        annotation in file order. Masks may be RLE (counts as a list or pycocotools' compressed \
        string) or polygons (origin at the image's top-left corner). Crowd annotations and ones \
        that cover no pixel are skipped and reported; --category keeps one category by name.
        """)

    @Option(help: "Folder of images (PNG, TIFF or JPEG).")
    var images: String

    @Option(help: "The COCO JSON file.")
    var coco: String

    @Option(help: "Output dataset folder.")
    var out: String

    @Option(help: "Import only annotations of this category name.")
    var category: String?

    @Option(help: "Which annotation keeps overlapping pixels.")
    var overlap: OverlapRule = .earlierWins

    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() async throws {
        let result = try COCOImport.importFolder(
            images: URL(fileURLWithPath: images), coco: URL(fileURLWithPath: coco), output: URL(fileURLWithPath: out),
            category: category, overlap: overlap, progress: { Console.note($0) })
        try ImportReport.show(result, images: images, annotations: coco, kind: "an entry", out: out, json: json)
    }
}
