import ArgumentParser
import Foundation
import Interactive
import Learning

struct InteractiveEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "NoC@85/90 and mIoU after 1/3/5 clicks with the robot clicker (RITM/f-BRS protocol).",
        discussion: """
        Every nucleus of --gt (or a seeded sample of --max-nuclei) is annotated by the robot \
        clicker, up to 20 clicks. spc_ms is the predictor's wall time per click. \
        --boundary-tolerance N scores outlines within N px of the annotated one as exact: \
        those pixels count neither way and are never clicked (hand-drawn outlines are \
        uncertain by about a pixel); 0, the default, is the standard protocol.
        """)

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Folder of images.")
    var images: String
    @Option(help: "Folder of instance label maps (same base names).")
    var gt: String
    @Option(help: "Evaluate a seeded random sample of this many nuclei.")
    var maxNuclei: Int?
    @Flag(help: "Disable f-BRS (plain network predictions).")
    var noFbrs = false
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @Flag(help: "Print a JSON object.")
    var json = false
    @Option(help: "Also write per-nucleus results (JSON) here.")
    var details: String?
    @Option(help: "Pixels of outline disagreement forgiven (0 = the standard protocol).")
    var boundaryTolerance = 0
    @OptionGroup var tuning: PredictorTuning

    func validate() throws {
        guard (0...8).contains(boundaryTolerance) else {
            throw ValidationError("--boundary-tolerance \(boundaryTolerance): give 0…8 pixels")
        }
    }

    struct Output: Encodable {
        var nuclei: Int, fbrs: Bool, boundary_tolerance: Int
        var noc85, noc90, miou_at_1, miou_at_3, miou_at_5, failed85_fraction, spc_ms, p50_ms, p99_ms: Double
        var by_area: [AreaOutput]
    }

    struct AreaOutput: Encodable {
        var min_area: Int, max_area: Int?, nuclei: Int
        var noc85, noc90, miou_at_1: Double
    }

    func run() async throws {
        Threads.count = threads
        let paired = try PairedDataset(images: images, gt: gt)
        defer { paired.removeLinks() }
        let dataset = paired.dataset
        let predictor = try tuning.predictor(model: model)
        var options = NoCOptions()
        options.maxNuclei = maxNuclei
        options.useFBRS = !noFbrs
        options.boundaryTolerance = boundaryTolerance
        let report = try NoCEvaluation.evaluate(predictor: predictor, data: dataset, options: options) { done, total in
            if done % 50 == 0 || done == total { Console.note("\(done)/\(total) nuclei") }
        }
        if let details {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(report.perNucleus).write(to: URL(fileURLWithPath: details))
        }
        let output = Output(nuclei: report.nuclei, fbrs: !noFbrs, boundary_tolerance: boundaryTolerance, noc85: report.noc85, noc90: report.noc90, miou_at_1: report.miouAt1,
                            miou_at_3: report.miouAt3, miou_at_5: report.miouAt5, failed85_fraction: report.failed85Fraction,
                            spc_ms: report.spcMs, p50_ms: report.p50Ms, p99_ms: report.p99Ms,
                            by_area: report.byArea.map {
                                AreaOutput(min_area: $0.minimumArea, max_area: $0.maximumArea, nuclei: $0.nuclei,
                                           noc85: $0.noc85, noc90: $0.noc90, miou_at_1: $0.miouAt1)
                            })
        if json {
            try JSONOutput.print(output)
        } else {
            if boundaryTolerance > 0 { print("outlines within \(boundaryTolerance) px of the annotation scored as exact") }
            print(String(format: "%d nuclei, f-BRS %@: NoC@85 %.2f  NoC@90 %.2f  mIoU@1/3/5 %.3f/%.3f/%.3f  failed@85 %.1f%%  %.1f ms/click (p50 %.1f, p99 %.1f)",
                         report.nuclei, noFbrs ? "off" : "on", report.noc85, report.noc90, report.miouAt1, report.miouAt3,
                         report.miouAt5, report.failed85Fraction * 100, report.spcMs, report.p50Ms, report.p99Ms))
            for group in report.byArea {
                let range = group.maximumArea.map { "\(group.minimumArea)–\($0) px" } ?? "\(group.minimumArea)+ px"
                print(String(format: "  area %@: %d nuclei, NoC@85 %.2f  NoC@90 %.2f  mIoU@1 %.3f",
                             range, group.nuclei, group.noc85, group.noc90, group.miouAt1))
            }
        }
    }
}
