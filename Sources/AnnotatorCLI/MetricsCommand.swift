import ArgumentParser
import Clients
import Foundation
import Imaging
import Metrics
import MetricsService
import Wire

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Score predicted instance maps against ground truth (Dice, AJI, AJI+, DQ, SQ, PQ).",
        discussion: """
        Files are matched by base name: GT_DIR/a.png is compared with PRED_DIR/a.png (or .tif). \
        Label maps are 8- or 16-bit gray PNG/TIFF, 0 = background. Definitions are exactly those \
        of hover_net's metrics/stats_utils.py; the mean is image-wise. An image with neither \
        nuclei nor predictions has no score and is left out of the mean.
        """)

    @Option(help: "Folder of ground-truth label maps.")
    var gt: String

    @Option(help: "Folder of predicted label maps (same base names).")
    var pred: String

    @Option(help: "Metrics service endpoint; without it the service runs in-process.")
    var endpoint: String?

    @Flag(help: "Print a JSON object with `images` and `mean`.")
    var json = false

    func run() async throws {
        let pairs = try LabelMapPairs.load(groundTruth: URL(fileURLWithPath: gt), prediction: URL(fileURLWithPath: pred))
        let connection = try ServiceConnection.open(endpoint: endpoint, embedded: MetricsService.definition())
        let report: MetricsReport
        do {
            report = try await MetricsClient(rpc: connection.client).evaluate(pairs)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
        if json {
            try JSONOutput.print(MetricsJSON(report))
        } else {
            print(MetricsTable.render(report))
        }
    }
}

/// Ground-truth and predicted label maps paired by base name.
enum LabelMapPairs {
    static func load(groundTruth: URL, prediction: URL) throws -> [(name: String, groundTruth: LabelMap, prediction: LabelMap)] {
        let gtFiles = try ImageFiles.listImages(in: groundTruth)
        guard !gtFiles.isEmpty else { throw CLIError("no PNG or TIFF label maps in \(groundTruth.path)") }
        let predFiles = try ImageFiles.listImages(in: prediction)
        let predByName = Dictionary(predFiles.map { ($0.deletingPathExtension().lastPathComponent, $0) },
                                    uniquingKeysWith: { first, _ in first })
        var missing: [String] = []
        var pairs: [(name: String, groundTruth: LabelMap, prediction: LabelMap)] = []
        for file in gtFiles {
            let name = file.deletingPathExtension().lastPathComponent
            guard let predFile = predByName[name] else {
                missing.append(name)
                continue
            }
            let gtMap = try ImageFiles.readLabelMap(file)
            let predMap = try ImageFiles.readLabelMap(predFile)
            guard gtMap.sameSize(as: predMap) else {
                throw CLIError("\(name): ground truth is \(gtMap.width)×\(gtMap.height) but prediction is \(predMap.width)×\(predMap.height)")
            }
            pairs.append((name, gtMap, predMap))
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
            throw CLIError("\(missing.count) ground-truth map(s) have no prediction in \(prediction.path): \(shown)")
        }
        return pairs
    }
}

/// The JSON shape of `annotator metrics --json`.
struct MetricsJSON: Encodable {
    struct Scores: Encodable {
        let name: String
        let dice1, dice2, aji, aji_plus, dq, sq, pq: Double
        let n_gt, n_pred: Int
        let scored: Bool

        init(_ scores: SegmentationScores, name: String) {
            self.name = name
            dice1 = scores.dice1
            dice2 = scores.dice2
            aji = scores.aji
            aji_plus = scores.ajiPlus
            dq = scores.dq
            sq = scores.sq
            pq = scores.pq
            n_gt = scores.groundTruthCount
            n_pred = scores.predictionCount
            self.scored = scores.scored
        }
    }

    let images: [Scores]
    let mean: Scores?
    let unscored: [String]

    init(_ report: MetricsReport) {
        images = report.images.map { Scores($0.scores, name: $0.name) }
        mean = report.mean.map { Scores($0, name: "mean") }
        unscored = report.images.filter { !$0.scores.scored }.map(\.name)
    }
}

enum MetricsTable {
    static func render(_ report: MetricsReport) -> String {
        let nameWidth = max(8, report.images.map(\.name.count).max() ?? 0)
        func row(_ name: String, _ s: SegmentationScores) -> String {
            let values = [s.dice1, s.dice2, s.aji, s.ajiPlus, s.dq, s.sq, s.pq].map { String(format: "%7.4f", $0) }
            return name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " " + values.joined(separator: " ")
                + String(format: " %6d %6d", s.groundTruthCount, s.predictionCount)
        }
        var lines = ["image".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            + "   dice1   dice2     aji    aji+      dq      sq      pq   n_gt n_pred"]
        for image in report.images {
            lines.append(image.scores.scored ? row(image.name, image.scores)
                : image.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " (no nuclei and no predictions: not scored)")
        }
        if let mean = report.mean {
            lines.append(String(repeating: "-", count: nameWidth + 72))
            lines.append(row("mean", mean))
        } else {
            lines.append("no image has a defined score")
        }
        return lines.joined(separator: "\n")
    }
}
