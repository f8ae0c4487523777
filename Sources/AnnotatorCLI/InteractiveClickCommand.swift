import ArgumentParser
import Foundation
import Imaging
import Interactive

struct InteractiveClick: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "click",
        abstract: "Segment one object from clicks and write its mask (PNG, 0/255).",
        discussion: "Clicks are applied in order, as a person would: --click 120,88,+ --click 131,90,-")

    @Option(help: "Model (.safetensors).")
    var model: String
    @Option(help: "Image (PNG, TIFF or JPEG).")
    var image: String
    @Option(name: .customLong("click"), help: "x,y,+ or x,y,- (repeatable).")
    var clicks: [String]
    @Option(help: "Output mask PNG.")
    var out: String
    @Flag(help: "Disable f-BRS.")
    var noFbrs = false
    @Flag(help: "Print the mask's summary as JSON on standard output.")
    var json = false
    @OptionGroup var tuning: PredictorTuning

    /// What `--json` prints: the mask written and how the last click was predicted.
    struct Summary: Encodable {
        var out: String
        var clicks: Int
        var area: Int
        var meanProbability: Float
        /// Bounding box of the mask, `[x0, y0, x1, y1)` image pixels; nil for an empty mask.
        var bbox: [Int]?
        /// The last click's zoom-in window, `[x, y, side]` image pixels.
        var window: [Int]
        var fbrsIterations: Int

        enum CodingKeys: String, CodingKey {
            case out, clicks, area, bbox, window
            case meanProbability = "mean_probability"
            case fbrsIterations = "fbrs_iterations"
        }
    }

    func run() async throws {
        let parsed = try clicks.map { text -> Click in
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 3, let x = Int(parts[0]), let y = Int(parts[1]), parts[2] == "+" || parts[2] == "-" else {
                throw CLIError("--click \(text): expected x,y,+ or x,y,-")
            }
            return Click(x: x, y: y, positive: parts[2] == "+")
        }
        guard !parsed.isEmpty else { throw CLIError("give at least one --click") }
        let predictor = try tuning.predictor(model: model) { $0.useFBRS = !noFbrs }
        let session = InteractiveSession(image: try ImageFiles.readRGB(URL(fileURLWithPath: image)), predictor: predictor)
        var outcome: InteractiveSession.ClickOutcome?
        for click in parsed { outcome = try session.click(click) }
        let last = outcome!, mask = last.mask
        let raster = try Raster(width: mask.width, height: mask.height, channels: 1, samples: .uint8(mask.storage.map { $0 ? 255 : 0 }))
        try ImageFiles.write(raster, to: URL(fileURLWithPath: out))
        if json {
            try JSONOutput.print(Summary(out: out, clicks: parsed.count, area: last.area, meanProbability: last.meanProbability,
                                         bbox: mask.boundingBox.map { [$0.x0, $0.y0, $0.x1, $0.y1] },
                                         window: [last.window.x, last.window.y, last.window.size], fbrsIterations: last.fbrsIterations))
        } else {
            Console.note(String(format: "%d pixels, mean probability %.3f", last.area, last.meanProbability))
        }
    }
}
