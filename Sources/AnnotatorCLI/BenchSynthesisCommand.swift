import ArgumentParser
import Foundation
import Imaging
import Refinement
import Synthesis

struct BenchSynthesis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesis",
        abstract: "Synthesis speed (pairs of 256×256 per second) and refiner training time.",
        discussion: """
        pairs_per_s: generation after the pool is prepared (pool preparation — segmentation and \
        inpainting of every pool image, once — is reported apart as pool_seconds). \
        refiner_train_minutes: the default `refine train` run (\(RefineTrain.defaultSteps) steps), \
        extrapolated from --refiner-steps timed steps after a warm-up.
        """)

    @Option(help: "Pool of real images.")
    var pool = "../shared/data/monuseg/train"

    @Option(help: "Pool images to prepare.")
    var poolImages = 4

    @Option(help: "Pairs to generate.")
    var pairs = 40

    @Option(help: "Refiner steps to time.")
    var refinerSteps = 20

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let start = ContinuousClock.now
        let loaded = try SynthesisPool.load(folder: URL(fileURLWithPath: pool), maximumImages: poolImages)
        let poolSeconds = (ContinuousClock.now - start).milliseconds / 1000
        let synthesizer = try Synthesizer(pool: loaded)
        let generationStart = ContinuousClock.now
        var fakes: [RGBImage] = []
        for index in 0..<pairs { fakes.append(synthesizer.generate(index: index, seed: 1).image) }
        let pairsPerSecond = Double(pairs) / ((ContinuousClock.now - generationStart).milliseconds / 1000)

        let real = loaded.sources.map(\.image)
        let model = RefinerModel(seed: 1)
        var configuration = RefinerTrainer.Configuration()
        configuration.discriminatorWarmupSteps = 2
        try RefinerTrainer.train(model: model, configuration: configuration, pool: real, synthetic: fakes, options: .init(steps: 2))
        configuration.discriminatorWarmupSteps = 0
        let summary = try RefinerTrainer.train(model: model, configuration: configuration, pool: real, synthetic: fakes,
                                               options: .init(steps: refinerSteps))
        let stepSeconds = summary.seconds / Double(max(1, summary.steps))
        let warmup = RefinerTrainer.Configuration().discriminatorWarmupSteps
        let minutes = stepSeconds * Double(RefineTrain.defaultSteps) / 60 + stepSeconds * 0.4 * Double(warmup) / 60
        let results = ["pairs_per_s": pairsPerSecond, "refiner_train_minutes": minutes, "refiner_step_s": stepSeconds,
                       "pool_seconds": poolSeconds, "pool_images": Double(loaded.sources.count)]
        if json {
            try JSONOutput.print(results)
        } else {
            print(String(format: "synthesis %.1f pairs/s (256×256), pool of %d prepared in %.1f s", pairsPerSecond,
                         loaded.sources.count, poolSeconds))
            print(String(format: "refiner %.3f s/step → %.1f min for %d steps", stepSeconds, minutes, RefineTrain.defaultSteps))
        }
    }
}
