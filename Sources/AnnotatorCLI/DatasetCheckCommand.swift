import ArgumentParser
import Datasets
import Foundation
import Imaging

struct DatasetCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Look a dataset over before using it: images, label maps, nucleus sizes and magnification.",
        discussion: """
        Reads every image and label map of DIR (images/, instance_masks/ if any) and reports what \
        does not decode or does not match, the nuclei per image, and the median annotated nucleus \
        area. Compared with MoNuSeg's 40× scans, the models' scale, that says whether to rescale \
        and by how much (`annotator dataset rescale --scale F`); without label maps the \
        magnification cannot be told. Exits 1 when something does not decode or does not match.
        """)

    @Option(help: "A dataset folder (images/ and optionally instance_masks/).")
    var data: String

    @Flag(help: "Print a JSON summary.")
    var json = false

    struct Summary: Encodable {
        var images: Int
        var with_label_maps: Int
        var nuclei: Int
        var problems: [String]
        var median_nucleus_area: Double?
        var suggested_scale: Double?
        var matches_models_magnification: Bool?
    }

    func run() async throws {
        let dataset = try FolderDataset(root: URL(fileURLWithPath: data), requireMasks: false)
        var problems: [String] = []
        var areas: [Int] = []
        var labelled = 0
        for sample in dataset.samples {
            do {
                if sample.mask != nil {
                    let pair = try dataset.load(sample)
                    let found = MagnificationCheck.areas(of: pair.labels)
                    areas += found
                    labelled += 1
                    Console.note("\(sample.name): \(pair.image.width)×\(pair.image.height), \(found.count) nuclei")
                } else {
                    let image = try dataset.loadImage(sample)
                    Console.note("\(sample.name): \(image.width)×\(image.height), no label map")
                }
            } catch {
                problems.append("\(error)")
                Console.note("\(sample.name): \(error)")
            }
        }
        let nuclei = areas.count
        let check = MagnificationCheck(areas: areas)
        let summary = Summary(images: dataset.samples.count, with_label_maps: labelled, nuclei: nuclei, problems: problems,
                              median_nucleus_area: check?.medianArea,
                              suggested_scale: check.map { ($0.scale * 100).rounded() / 100 }, matches_models_magnification: check?.matches)
        if json {
            try JSONOutput.print(summary)
        } else {
            print("\(summary.images) image(s), \(labelled) with label maps, \(nuclei) nuclei, \(problems.count) problem(s)")
            if let check {
                let verdict = check.matches
                    ? "about the size the models were tuned on (MoNuSeg 40×)"
                    : String(format: "not the models' 40× size: rescale with `annotator dataset rescale --data %@ --out DIR --scale %.2f`",
                             data, check.scale)
                print(String(format: "median nucleus %.0f px: ", check.medianArea) + verdict)
            } else {
                print("no annotated nucleus, so the magnification cannot be checked: the models expect 40× scans "
                      + "(about 0.25 µm per pixel; `annotator dataset rescale --microns-per-pixel X` brings others there)")
            }
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
