import Datasets
import Foundation
import Imaging
import TestSupport
import XCTest
@testable import HoVerNet

final class TrainingTests: XCTestCase {
    private func options(steps: Int, output: URL? = nil) -> TrainingOptions {
        var options = TrainingOptions(steps: steps, output: output)
        options.batchSize = 2
        options.patchSize = 24
        options.warmupSteps = 2
        options.validationEvery = 3
        options.learningRate = 3e-3
        options.tiling = TilingOptions(maximumTile: 64, margin: 8)
        options.minimumInstanceArea = 10
        return options
    }

    func testTrainsValidatesAndCheckpoints() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-train")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("model.safetensors")
        let data = try syntheticSet(count: 3, size: 32, seed: 1), validation = try syntheticSet(count: 1, size: 32, seed: 2)
        var reports: [TrainingProgress] = []
        let summary = try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, validation: validation,
                                                options: options(steps: 6, output: output), progress: { reports.append($0) })
        XCTAssertEqual(summary.stopReason, .steps)
        XCTAssertEqual(summary.steps, 6)
        XCTAssertEqual(reports.filter { $0.event == .step }.map(\.step), Array(1...6))
        XCTAssertEqual(reports.filter { $0.event == .validation }.map(\.step), [3, 6])
        XCTAssertTrue(reports.allSatisfy { $0.totalSteps == 6 && $0.loss.isFinite })
        XCTAssertNotNil(summary.best)
        XCTAssertEqual(summary.output, output)
        let info = try Checkpoint.info(at: output)
        XCTAssertEqual(info.step, summary.bestStep)
        XCTAssertNotNil(info.notes["validation_aji"])
        XCTAssertEqual(try Checkpoint.info(at: TrainingOptions.resumeFile(for: output)).step, 6)
        // The resume file carries Adam's moments; the model file only weights.
        let resumeModel = try HoVerNetModel(configuration: tinyConfiguration)
        let optimizerState = try Checkpoint.loadResumeState(TrainingOptions.resumeFile(for: output), into: resumeModel).optimizer
        XCTAssertEqual(optimizerState?.steps, 6)
        XCTAssertEqual(optimizerState?.firstMoments.count, resumeModel.parameters().count)
        XCTAssertNil(try Checkpoint.loadResumeState(output, into: resumeModel).optimizer)
        XCTAssertNoThrow(try Checkpoint.load(TrainingOptions.resumeFile(for: output)))

        // Resume continues from the saved step; warm start loads the weights at step 0.
        var resumed = options(steps: 8)
        resumed.resume = TrainingOptions.resumeFile(for: output)
        XCTAssertEqual(try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: resumed).steps, 8)
        var warm = options(steps: 1)
        warm.initialModel = output
        XCTAssertEqual(try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: warm).steps, 1)
        warm.initialModel = output
        XCTAssertThrowsError(try HoVerNetTrainer.train(configuration: HoVerNetConfiguration(widths: [4, 8, 8]), data: data, options: warm))
    }

    /// A model with an NC head learns from per-nucleus types and names each predicted nucleus.
    func testTypedDataTrainsTheNCHeadAndInferenceNamesTypes() throws {
        var data = try syntheticSet(count: 2, size: 32, seed: 7)
        data.instanceTypes = data.pairs.map { pair in
            Dictionary(uniqueKeysWithValues: pair.labels.instanceIDs.map { ($0, UInt8($0 % 2 == 0 ? 2 : 1)) })
        }
        XCTAssertEqual(data.typeClasses, 3)
        var configuration = tinyConfiguration
        configuration.typeClasses = 3
        var reports: [TrainingProgress] = []
        let summary = try HoVerNetTrainer.train(configuration: configuration, data: data, options: options(steps: 2),
                                                progress: { reports.append($0) })
        XCTAssertEqual(summary.steps, 2)
        let terms = try XCTUnwrap(reports.last { $0.event == .step }?.terms)
        XCTAssertGreaterThan(terms.typeCrossEntropy, 0)
        XCTAssertGreaterThan(terms.typeDice, 0)

        // Types beyond the head's classes, and an NC head without typed data, are refused.
        configuration.typeClasses = 2
        XCTAssertThrowsError(try HoVerNetTrainer.train(configuration: configuration, data: data, options: options(steps: 1)))
        configuration.typeClasses = 3
        data.instanceTypes = nil
        XCTAssertThrowsError(try HoVerNetTrainer.train(configuration: configuration, data: data, options: options(steps: 1))) { error in
            XCTAssertTrue("\(error)".contains("type_maps"), "\(error)")
        }

        let segmenter = HoVerNetSegmenter(model: try HoVerNetModel(configuration: configuration, seed: 3),
                                          tiling: TilingOptions(maximumTile: 64, margin: 8))
        segmenter.postProcessor.parameters.foregroundThreshold = 0
        let result = try segmenter.segment(data.pairs[0].image)
        let types = try XCTUnwrap(result.instanceTypes)
        XCTAssertEqual(Set(types.keys), Set(result.labels.instanceIDs))
        XCTAssertTrue(types.values.allSatisfy { $0 < 3 })
    }

    func testSameSeedSameRun() throws {
        let data = try syntheticSet(count: 2, size: 32, seed: 3)
        func losses() throws -> [Float] {
            var values: [Float] = []
            _ = try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: options(steps: 3)) { values.append($0.loss) }
            return values
        }
        XCTAssertEqual(try losses(), try losses())
    }

    func testCancellationKeepsTheLastGoodCheckpoint() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-cancel")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("model.safetensors")
        let data = try syntheticSet(count: 2, size: 32, seed: 4)
        var steps = 0
        let summary = try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: options(steps: 100, output: output),
                                                progress: { if $0.event == .step { steps = $0.step } }, isCancelled: { steps >= 4 })
        XCTAssertEqual(summary.stopReason, .cancelled)
        XCTAssertEqual(summary.steps, 4)
        // Checkpointed at step 3; the cancelled step-4 state is not written.
        XCTAssertEqual(try Checkpoint.info(at: output).step, 3)
    }

    func testBadInputs() throws {
        XCTAssertThrowsError(try TrainingSet(pairs: [])) { error in
            guard case HoVerNetError.emptyDataset = error else { return XCTFail("\(error)") }
        }
        let data = try syntheticSet(count: 1, size: 32, seed: 5)
        XCTAssertThrowsError(try TrainingSet(pairs: data.pairs, weights: [0]))
        XCTAssertThrowsError(try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: TrainingOptions()))
        var odd = options(steps: 1)
        odd.patchSize = 25
        XCTAssertThrowsError(try HoVerNetTrainer.train(configuration: tinyConfiguration, data: data, options: odd))
        // Images smaller than the patch, and label maps without nuclei, still train.
        let small = try LabeledImage(image: RGBImage(width: 10, height: 14), labels: LabelMap(width: 10, height: 14, repeating: 0))
        let summary = try HoVerNetTrainer.train(configuration: tinyConfiguration, data: try TrainingSet(pairs: [small]), options: options(steps: 2))
        XCTAssertEqual(summary.steps, 2)
    }

    /// The default colour jitter at its extremes keeps an H&E-like image recognisable
    /// (all three stains at their extremes move it by ~35–40 grey levels; the former shift of
    /// 0.05 rgb2hed units moved MoNuSeg pixels by 50–90 with H and E alone).
    func testDefaultColourJitterIsMild() {
        let image = syntheticImage(disks(width: 32, height: 32, [(16, 16, 8)]), seed: 3)
        let options = AugmentationOptions()
        for sign: Float in [-1, 1] {
            let factor = (scale: 1 + sign * options.hedScale, shift: sign * options.hedShift)
            let jittered = HEDJitter.apply(image, HEDJitter.Factors(hematoxylin: factor, eosin: factor, dab: factor))
            let change = zip(image.pixels, jittered.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(image.pixels.count)
            XCTAssertLessThan(change, 50, "mean change \(change) grey levels")
        }
    }

    func testFolderWeightsFileWeighsTheSamples() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, pair) in try syntheticSet(count: 2, size: 16, seed: 4).pairs.enumerated() {
            try FolderDataset.write(pair, name: "p\(index)", to: folder)
        }
        XCTAssertEqual(try TrainingSet.load(folder: folder).weights, [1, 1])
        try SampleWeights.write(["p1": 3], to: folder)
        XCTAssertEqual(try TrainingSet.load(folder: folder).weights, [1, 3])
        XCTAssertEqual(try TrainingSet.load(folder: folder, sampleWeightsFile: false).weights, [1, 1])
        try Data("{}".utf8).write(to: folder.appendingPathComponent(SampleWeights.fileName))
        XCTAssertThrowsError(try TrainingSet.load(folder: folder))
    }

    func testFolderDatasetWithoutPairsIsRefused() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-empty")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try TrainingSet.load(folder: folder))
    }
}
