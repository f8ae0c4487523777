import Foundation
import Learning
import TestSupport
import XCTest
@testable import Interactive

final class ModelTests: XCTestCase {
    func testForwardShapesAndSplitStemEqualsSixChannelInput() throws {
        let network = InteractiveNetwork(configuration: tinyConfiguration(), seed: 3)
        network.setTraining(false)
        var generator = SeededGenerator(seed: 1)
        let image = Tensor.randn([2, 32, 32, 3], using: &generator), guidance = Tensor.randn([2, 32, 32, 3], using: &generator)
        let features = try network.backbone(imageFeatures: network.imageFeatures(image), guidance: guidance)
        XCTAssertEqual(features.shape, [2, 16, 16, network.featureChannels])
        let logits = try network.head(features)
        XCTAssertEqual(logits.shape, [2, 32, 32, 1])
        let whole = try network(F.concat([image, guidance], axis: 3))
        XCTAssertEqual(whole.values, logits.values)
    }

    func testDefaultModelIsSmall() {
        XCTAssertLessThan(InteractiveNetwork().parameterCount, 500_000)
    }

    func testSaveLoadRoundTripAndArchitectureMismatch() throws {
        let folder = TestPaths.temporaryDirectory("interactive-model")
        let url = folder.appendingPathComponent("m.safetensors")
        let network = InteractiveNetwork(configuration: tinyConfiguration(), seed: 5)
        try ModelFile.save(network, to: url, steps: 42, seed: 9)
        let (loaded, metadata) = try ModelFile.load(url)
        XCTAssertEqual(metadata.steps, 42)
        XCTAssertEqual(metadata.seed, 9)
        XCTAssertNil(metadata.zoom, "saved without a training geometry")
        XCTAssertEqual(try InteractivePredictor(modelFile: url).options.minimumWindow, TrainingZoom.legacy.minimumWindow)
        XCTAssertEqual(loaded.configuration, tinyConfiguration())
        for ((name, a), (_, b)) in zip(network.stateDict(), loaded.stateDict()) { XCTAssertEqual(a.values, b.values, name) }

        var other = tinyConfiguration()
        other.highChannels = 7
        XCTAssertThrowsError(try ModelFile.loadWeights(into: InteractiveNetwork(configuration: other), from: url)) { error in
            guard case let InteractiveError.modelFile(_, detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("architecture differs"), detail)
        }

        // A file with its training windows predicts at them unless told otherwise.
        let zoomed = folder.appendingPathComponent("zoomed.safetensors")
        try ModelFile.save(network, to: zoomed, zoom: TrainingZoom(firstClickWindow: 40, minimumWindow: 24))
        XCTAssertEqual(try ModelFile.metadata(of: zoomed).zoom, TrainingZoom(firstClickWindow: 40, minimumWindow: 24))
        let predictor = try InteractivePredictor(modelFile: zoomed)
        XCTAssertEqual(predictor.options.firstClickWindow, 40)
        XCTAssertEqual(predictor.options.minimumWindow, 24)
        XCTAssertEqual(try InteractivePredictor(modelFile: zoomed, options: PredictorOptions()).options.minimumWindow,
                       PredictorOptions().minimumWindow, "explicit options win")

        let plain = folder.appendingPathComponent("plain.safetensors")
        try SafeTensors.save([("w", Tensor(zeros: [2]))], to: plain)
        XCTAssertThrowsError(try ModelFile.load(plain)) { error in
            XCTAssertTrue("\(error)".contains("not an interactive segmentation model"), "\(error)")
        }
    }

    func testLBFGSSolvesAQuadratic() throws {
        // f(x) = Σ (i+1)(x_i − i)², minimum at x_i = i.
        let result = LBFGS(maxIterations: 50).minimize(from: [0, 0, 0, 0]) { (x: [Double]) -> (Double, [Double]) in
            var loss = 0.0, gradient = [Double](repeating: 0, count: x.count)
            for i in x.indices {
                let d = x[i] - Double(i)
                loss += Double(i + 1) * d * d
                gradient[i] = 2 * Double(i + 1) * d
            }
            return (loss, gradient)
        }
        for i in 0..<4 { XCTAssertEqual(result.x[i], Double(i), accuracy: 1e-4) }
    }

    func testFeatureBRSFixesAWrongPredictionAtTheClicks() throws {
        let network = InteractiveNetwork(configuration: tinyConfiguration(), seed: 11)
        network.setTraining(false)
        network.setFrozen(true)
        var generator = SeededGenerator(seed: 2)
        let image = Tensor.randn([1, 32, 32, 3], using: &generator), guidance = Tensor(zeros: [1, 32, 32, 3])
        let features = try Autograd.noGrad { () throws(LearningError) in
            try network.backbone(imageFeatures: network.imageFeatures(image), guidance: guidance)
        }
        let logits = try Autograd.noGrad { () throws(LearningError) in try network.head(features) }
        // Deliberately wrong: a positive click where the network is least sure of the object and a
        // negative click where it is most sure.
        let values = logits.values
        let lowest = values.indices.min { values[$0] < values[$1] }!, highest = values.indices.max { values[$0] < values[$1] }!
        let points = [(u: Double(lowest % 32), v: Double(lowest / 32), positive: true),
                      (u: Double(highest % 32), v: Double(highest / 32), positive: false)]
        var brs = FeatureBRS()
        brs.clickRadius = 0
        XCTAssertFalse(FeatureBRS.satisfied(logits, FeatureBRS.constraints(points, size: 32, radius: 0)))
        let outcome = try brs.refine(network: network, features: features, initialLogits: logits, points: points)
        XCTAssertTrue(outcome.satisfied)
        XCTAssertGreaterThan(outcome.iterations, 0)
        XCTAssertGreaterThan(outcome.logits.data[lowest], 0)
        XCTAssertLessThan(outcome.logits.data[highest], 0)
    }
}
