import Foundation
import TestSupport
import XCTest
@testable import HoVerNet

final class PostProcessingTuningTests: XCTestCase {
    func testGridHoldsTheReferenceAndResultsComeBestFirst() throws {
        let grid = PostProcessingTuning.grid()
        XCTAssertEqual(grid.count, 30)
        XCTAssertTrue(grid.contains(PostProcessor.Parameters()), "the default parameters are a candidate")
        let segmenter = HoVerNetSegmenter(model: try HoVerNetModel(configuration: tinyConfiguration, seed: 2),
                                          tiling: TilingOptions(maximumTile: 64, margin: 8))
        let validation = try syntheticSet(count: 2, size: 32, seed: 5)
        var reports: [Int] = []
        let candidates = Array(grid.prefix(4))
        let results = try PostProcessingTuning.evaluate(segmenter, on: validation, candidates: candidates) { done, _ in reports.append(done) }
        XCTAssertEqual(reports, [1, 2, 3, 4])
        XCTAssertEqual(Set(results.map(\.parameters.edgeThreshold)), Set(candidates.map(\.edgeThreshold)))
        XCTAssertEqual(results.map(\.scores.score), results.map(\.scores.score).sorted(by: >))
        // Each result is what the segmenter gives with those parameters.
        let best = try XCTUnwrap(results.first)
        segmenter.postProcessor = PostProcessor(parameters: best.parameters)
        XCTAssertEqual(try HoVerNetTrainer.evaluate(segmenter, on: validation).score, best.scores.score, accuracy: 1e-12)
        XCTAssertThrowsError(try PostProcessingTuning.evaluate(segmenter, on: validation, candidates: []))
    }

    func testTunedParametersTravelWithTheModelFile() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-tune")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let model = try HoVerNetModel(configuration: tinyConfiguration, seed: 4)
        try Checkpoint.save(model, to: url, step: 9, notes: ["validation_aji": "0.5"])
        XCTAssertEqual(try HoVerNetSegmenter(modelFile: url).postProcessor.parameters, PostProcessor.Parameters())
        var tuned = PostProcessor.Parameters()
        tuned.edgeThreshold = 0.55
        tuned.minimumObjectArea = 30
        try Checkpoint.setPostProcessing(tuned, in: url)
        let info = try Checkpoint.info(at: url)
        XCTAssertEqual(info.postProcessing, tuned)
        XCTAssertEqual(info.step, 9)
        XCTAssertEqual(info.notes["validation_aji"], "0.5")
        let reloaded = try HoVerNetSegmenter(modelFile: url)
        XCTAssertEqual(reloaded.postProcessor.parameters, tuned)
        for ((name, a), (_, b)) in zip(model.stateDict(), reloaded.model.stateDict()) { XCTAssertEqual(a.values, b.values, name) }
    }

    func testTuningForTestTimeAugmentationScoresTheFlipAveragedMaps() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-tune-tta")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try Checkpoint.save(try HoVerNetModel(configuration: tinyConfiguration, seed: 6), to: url, step: 1, notes: [:])
        let validation = try syntheticSet(count: 2, size: 32, seed: 7)
        let candidates = Array(PostProcessingTuning.grid().prefix(3))
        let tuned = try PostProcessingTuning.tune(modelFile: url, on: validation, candidates: candidates, flipAveraging: true, write: false)
        let segmenter = try HoVerNetSegmenter(modelFile: url)
        segmenter.flipAveraging = true
        let expected = try PostProcessingTuning.evaluate(segmenter, on: validation, candidates: candidates)
        XCTAssertEqual(tuned.map(\.scores.score), expected.map(\.scores.score))
        XCTAssertEqual(tuned.map(\.parameters), expected.map(\.parameters))
        XCTAssertEqual(try Checkpoint.info(at: url).postProcessing, nil, "write: false leaves the model file alone")
    }
}
