import ArgumentParser
import Foundation
import HoVerNet

struct HoVerNetTune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Choose a model's post-processing parameters on labelled validation images.",
        discussion: """
        Runs the network once per validation image, then scores every combination of NP \
        foreground threshold, marker (edge) threshold and minimum object area with mean Dice, \
        AJI and PQ. --write stores the best combination in the model file; `hovernet infer`, \
        the HoVerNet service and the cycle then use it. Tune on validation images, never on \
        the images you report scores for. Use the same --hold-out as `hovernet train` to tune \
        on the images its checkpoint was chosen on. --tta tunes for `hovernet infer --tta`; \
        the model file keeps one parameter set, so write the one you will infer with.
        """)

    @Option(help: "Model file (.safetensors) written by `hovernet train`.")
    var model: String

    @Option(help: "Validation folder (images/ + instance_masks/).")
    var val: String?

    @Option(help: "Training folder whose --hold-out images (chosen as `hovernet train` does) are the validation set.")
    var data: String?

    @Option(help: "Images of --data to hold out.")
    var holdOut = 0

    @Option(help: "Foreground thresholds to try, comma-separated.")
    var foreground = "0.4,0.5,0.6"

    @Option(help: "Marker (edge) thresholds to try, comma-separated.")
    var edge = "0.3,0.4,0.5,0.6,0.7"

    @Option(help: "Minimum object areas (pixels) to try, comma-separated.")
    var minArea = "10,30"

    @Flag(help: "Score with test-time flip averaging, as `hovernet infer --tta` runs.")
    var tta = false

    @Flag(help: "Store the best parameters in the model file.")
    var write = false

    @Flag(help: "Print every candidate as JSON.")
    var json = false

    func validate() throws {
        guard (val == nil) != (data == nil) else { throw ValidationError("give either --val DIR or --data DIR --hold-out N") }
        if data != nil, holdOut <= 0 { throw ValidationError("--data needs --hold-out N (N ≥ 1 images)") }
    }

    func run() async throws {
        let validation: TrainingSet
        if let val {
            validation = try TrainingSet.load(folder: URL(fileURLWithPath: val))
        } else {
            validation = try TrainingSet.load(folder: URL(fileURLWithPath: data!)).split(holdingOutEvenly: holdOut).heldOut
        }
        let candidates = PostProcessingTuning.grid(foreground: try NumberList.parse(foreground, option: "--foreground"),
                                                   edge: try NumberList.parse(edge, option: "--edge"),
                                                   minimumArea: try NumberList.parse(minArea, option: "--min-area").map { Int($0) })
        let url = URL(fileURLWithPath: model)
        let current = try Checkpoint.info(at: url).postProcessing ?? PostProcessor.Parameters()
        Console.note("tune: \(candidates.count) candidate(s) on \(validation.names.joined(separator: " "))")
        let results = try PostProcessingTuning.tune(modelFile: url, on: validation, candidates: candidates,
                                                       flipAveraging: tta, write: write) { done, total in
            if done % 5 == 0 || done == total { Console.note("tune: \(done)/\(total)") }
        }
        if json {
            struct Row: Encodable {
                let foreground_threshold: Float, edge_threshold: Float, min_area: Int
                let dice: Double, aji: Double, pq: Double, score: Double, instances: Int
            }
            try JSONOutput.print(results.map {
                Row(foreground_threshold: $0.parameters.foregroundThreshold, edge_threshold: $0.parameters.edgeThreshold,
                    min_area: $0.parameters.minimumObjectArea, dice: $0.scores.dice, aji: $0.scores.aji, pq: $0.scores.pq,
                    score: $0.scores.score, instances: $0.instances)
            })
        } else {
            print("fg    edge  area  Dice    AJI     PQ      score   nuclei")
            for result in results {
                let p = result.parameters, s = result.scores
                print(String(format: "%.2f  %.2f  %4d  %.4f  %.4f  %.4f  %.4f  %d%@", p.foregroundThreshold, p.edgeThreshold,
                             p.minimumObjectArea, s.dice, s.aji, s.pq, s.score, result.instances, p == current ? "  (current)" : ""))
            }
        }
        if write, let best = results.first {
            Console.note(String(format: "tune: wrote foreground %.2f, edge %.2f, min area %d into %@", best.parameters.foregroundThreshold,
                                best.parameters.edgeThreshold, best.parameters.minimumObjectArea, model))
        }
    }
}
