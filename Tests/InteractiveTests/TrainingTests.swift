import Foundation
import Learning
import Imaging
import TestSupport
import XCTest
@testable import Interactive

final class TrainingTests: XCTestCase {
    private func options(_ checkpoint: URL) -> InteractiveTrainingOptions {
        var options = InteractiveTrainingOptions()
        options.steps = 3
        options.batchSize = 2
        options.warmupSteps = 1
        options.maxExtraClicks = 1
        options.seed = 4
        options.checkpoint = checkpoint
        options.checkpointEvery = 2
        return options
    }

    private func predictorOptions() -> PredictorOptions {
        var options = PredictorOptions()
        options.firstClickWindow = 24
        options.minimumWindow = 16
        return options
    }

    func testTrainingIsSeedDeterministicAndResumable() throws {
        let data = try syntheticDataset()
        let folder = TestPaths.temporaryDirectory("interactive-train")
        let a = folder.appendingPathComponent("a.safetensors"), b = folder.appendingPathComponent("b.safetensors")
        var reports = 0
        let (first, summary) = try InteractiveTrainer.train(configuration: tinyConfiguration(), data: data, options: options(a),
                                                            predictorOptions: predictorOptions(), progress: { _ in reports += 1 })
        XCTAssertEqual(summary.steps, 3)
        XCTAssertEqual(summary.nuclei, 5)
        XCTAssertTrue(summary.finalLoss.isFinite)
        let (second, _) = try InteractiveTrainer.train(configuration: tinyConfiguration(), data: data, options: options(b),
                                                       predictorOptions: predictorOptions())
        for ((name, x), (_, y)) in zip(first.stateDict(), second.stateDict()) { XCTAssertEqual(x.values, y.values, name) }
        XCTAssertEqual(try ModelFile.metadata(of: a).steps, 3)
        XCTAssertEqual(try ModelFile.metadata(of: a).zoom, TrainingZoom(firstClickWindow: 24, minimumWindow: 16),
                       "the training windows are stored with the weights")
        XCTAssertEqual(try SafeTensors.metadata(of: OptimizerSidecar.url(for: a))["step"], "3", "Adam's moments kept for a resume")

        var more = options(a)
        more.steps = 4
        more.resume = true
        let (_, resumed) = try InteractiveTrainer.train(configuration: tinyConfiguration(), data: data, options: more,
                                                        predictorOptions: predictorOptions())
        XCTAssertEqual(resumed.steps, 4)
        XCTAssertEqual(try ModelFile.metadata(of: a).steps, 4)
    }

    func testFocalLossTrainsWithoutDice() throws {
        let url = TestPaths.temporaryDirectory("interactive-focal").appendingPathComponent("m.safetensors")
        var focal = options(url)
        focal.loss = .normalizedFocal(gamma: 2)
        focal.diceWeight = 0
        let (_, summary) = try InteractiveTrainer.train(configuration: tinyConfiguration(), data: try syntheticDataset(),
                                                        options: focal, predictorOptions: predictorOptions())
        XCTAssertEqual(summary.steps, 3)
        XCTAssertTrue(summary.finalLoss.isFinite && summary.finalLoss > 0)
    }

    func testTargetOutlineJitterTrainsDeterministically() throws {
        let folder = TestPaths.temporaryDirectory("interactive-jitter")
        func run(_ name: String) throws -> InteractiveNetwork {
            var jittered = options(folder.appendingPathComponent(name))
            jittered.targetOutlineJitter = 1
            jittered.targetOutlineJitterPixels = 2
            let (network, summary) = try InteractiveTrainer.train(configuration: tinyConfiguration(), data: try syntheticDataset(),
                                                                  options: jittered, predictorOptions: predictorOptions())
            XCTAssertTrue(summary.finalLoss.isFinite && summary.finalLoss > 0)
            return network
        }
        let first = try run("a.safetensors"), second = try run("b.safetensors")
        for ((name, x), (_, y)) in zip(first.stateDict(), second.stateDict()) { XCTAssertEqual(x.values, y.values, name) }
    }

    func testOutOfRangeJitterIsRefused() throws {
        var bad = options(TestPaths.temporaryDirectory("interactive-bad-jitter").appendingPathComponent("m.safetensors"))
        bad.targetOutlineJitterPixels = 0
        XCTAssertThrowsError(try InteractiveTrainer.train(configuration: tinyConfiguration(), data: try syntheticDataset(),
                                                          options: bad, predictorOptions: predictorOptions())) {
            guard case .invalidArgument(let message) = $0 as? InteractiveError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("jitter"), message)
        }
    }

    func testCancellationStops() throws {
        let data = try syntheticDataset()
        let url = TestPaths.temporaryDirectory("interactive-cancel").appendingPathComponent("m.safetensors")
        XCTAssertThrowsError(try InteractiveTrainer.train(configuration: tinyConfiguration(), data: data, options: options(url),
                                                          predictorOptions: predictorOptions(), isCancelled: { true })) {
            XCTAssertEqual($0 as? InteractiveError, .cancelled)
        }
    }

    func testNoCEvaluationReportsEveryNucleus() throws {
        let data = try syntheticDataset()
        let predictor = InteractivePredictor(network: InteractiveNetwork(configuration: tinyConfiguration(), seed: 2),
                                             options: predictorOptions())
        var options = NoCOptions()
        options.maxClicks = 3
        options.viewMargin = 8
        options.useFBRS = false
        let report = try NoCEvaluation.evaluate(predictor: predictor, data: data, options: options)
        XCTAssertEqual(report.nuclei, 5)
        XCTAssertTrue((1...3).contains(report.noc85.rounded()))
        XCTAssertTrue((0...1).contains(report.miouAt1))
        XCTAssertTrue(report.perNucleus.allSatisfy { $0.ious.count == 3 && $0.clicks >= 1 })
        XCTAssertEqual(report.byArea.map(\.nuclei).reduce(0, +), 5, "every nucleus falls in one area group")
    }

    func testAreaGroupsSplitBySizeAndAverage() {
        func result(area: Int, noc85: Int, iou: Double) -> NucleusResult {
            NucleusResult(image: "i", id: 1, area: area, ious: [iou], noc85: noc85, noc90: noc85 + 1, clicks: 1, seconds: 0)
        }
        let groups = AreaGroup.groups([result(area: 50, noc85: 4, iou: 0.5), result(area: 99, noc85: 2, iou: 0.7),
                                       result(area: 450, noc85: 1, iou: 0.9)])
        XCTAssertEqual(groups.map(\.minimumArea), [0, 400], "empty groups are left out")
        XCTAssertEqual(groups[0].nuclei, 2)
        XCTAssertEqual(groups[0].noc85, 3)
        XCTAssertEqual(groups[0].miouAt1, 0.6, accuracy: 1e-12)
        XCTAssertNil(groups[1].maximumArea)
        XCTAssertEqual(groups[1].noc90, 2)
    }
}
