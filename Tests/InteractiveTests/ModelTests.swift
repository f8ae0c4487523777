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
        let logits = try network.head(features, detail: network.detailFeatures(image))
        XCTAssertEqual(logits.shape, [2, 32, 32, 1])
        let whole = try network(F.concat([image, guidance], axis: 3))
        XCTAssertEqual(whole.values, logits.values)
    }

    func testFullResolutionRefinementStartsAsTheCoarseNetworkAndNeedsItsDetail() throws {
        var configuration = tinyConfiguration()
        configuration.detailChannels = 0
        let coarse = InteractiveNetwork(configuration: configuration, seed: 3)
        configuration.detailChannels = 4
        let refined = InteractiveNetwork(configuration: configuration, seed: 3)
        refined.setTraining(false)
        coarse.setTraining(false)
        XCTAssertGreaterThan(refined.parameterCount, coarse.parameterCount)
        var generator = SeededGenerator(seed: 1)
        let image = Tensor.randn([2, 32, 32, 3], using: &generator), guidance = Tensor.randn([2, 32, 32, 3], using: &generator)
        let detail = try XCTUnwrap(try refined.detailFeatures(image))
        XCTAssertEqual(detail.shape, [2, 32, 32, 4])
        XCTAssertNil(try coarse.detailFeatures(image))
        let features = try refined.backbone(imageFeatures: refined.imageFeatures(image), guidance: guidance)
        let logits = try refined.head(features, detail: detail)
        XCTAssertEqual(logits.shape, [2, 32, 32, 1])
        // The refinement's output layer starts at zero and the other layers draw the same
        // initial weights, so an untrained refined network predicts what the coarse one does.
        let coarseLogits = try coarse.head(coarse.backbone(imageFeatures: coarse.imageFeatures(image), guidance: guidance))
        XCTAssertEqual(logits.values, coarseLogits.values)
        let whole = try refined(F.concat([image, guidance], axis: 3))
        XCTAssertEqual(whole.values, logits.values)
        XCTAssertThrowsError(try refined.head(features)) { error in
            XCTAssertTrue("\(error)".contains("detail features"), "\(error)")
        }
    }

    func testTheRefinementLearnsAtFullResolution() throws {
        // One pixel-wide stripes cannot be drawn by logits upsampled from half resolution;
        // the full-resolution branch sees the image and must bring the loss down.
        var configuration = tinyConfiguration()
        configuration.detailChannels = 4
        let network = InteractiveNetwork(configuration: configuration, seed: 2)
        network.setTraining(true)
        var values = [Float](repeating: 0, count: 32 * 32 * 3), target = [Float](repeating: 0, count: 32 * 32)
        for y in 0..<32 { for x in 0..<32 where x % 2 == 0 { target[y * 32 + x] = 1; for c in 0..<3 { values[(y * 32 + x) * 3 + c] = 1 } } }
        let image = try Tensor(shape: [1, 32, 32, 3], values: values), targets = try Tensor(shape: [1, 32, 32, 1], values: target)
        let guidance = Tensor(zeros: [1, 32, 32, 3])
        let optimiser = Adam(parameters: network.parameters(), learningRate: 0.01)
        var losses: [Float] = []
        for _ in 0..<60 {
            network.zeroGrad()
            let logits = try network.head(network.backbone(imageFeatures: network.imageFeatures(image), guidance: guidance),
                                          detail: network.detailFeatures(image))
            let loss = try F.bceWithLogits(logits, targets)
            try loss.backward()
            optimiser.step()
            losses.append(loss.item)
        }
        // Half-resolution logits upsampled by 2 give both pixels of a cell the same value: at best ln 2.
        XCTAssertLessThan(losses.last!, 0.4, "losses \(losses.first!) → \(losses.last!)")
    }

    func testConfigurationsWrittenBeforeTheRefinementStillDecode() throws {
        let json = #"{"inputSize":48,"highChannels":8,"lowChannels":16,"stages":1,"blocksPerStage":1,"headChannels":8,"clickRadius":2,"clickEncoding":"disk","mean":[0.5,0.5,0.5],"std":[0.2,0.2,0.2]}"#
        let configuration = try JSONDecoder().decode(InteractiveModelConfiguration.self, from: Data(json.utf8))
        XCTAssertEqual(configuration.detailChannels, 0)
        XCTAssertEqual(configuration.inputSize, 48)
        var refined = configuration
        refined.detailChannels = 6
        let roundTrip = try JSONDecoder().decode(InteractiveModelConfiguration.self, from: JSONEncoder().encode(refined))
        XCTAssertEqual(roundTrip, refined)
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
        for detailChannels in [0, 4] {
            var configuration = tinyConfiguration()
            configuration.detailChannels = detailChannels
            try checkFeatureBRSFixesAWrongPrediction(configuration)
        }
    }

    private func checkFeatureBRSFixesAWrongPrediction(_ configuration: InteractiveModelConfiguration) throws {
        let network = InteractiveNetwork(configuration: configuration, seed: 11)
        network.setTraining(false)
        network.setFrozen(true)
        var generator = SeededGenerator(seed: 2)
        let image = Tensor.randn([1, 32, 32, 3], using: &generator), guidance = Tensor(zeros: [1, 32, 32, 3])
        let (features, detail) = try Autograd.noGrad { () throws(LearningError) in
            (try network.backbone(imageFeatures: network.imageFeatures(image), guidance: guidance), try network.detailFeatures(image))
        }
        let logits = try Autograd.noGrad { () throws(LearningError) in try network.head(features, detail: detail) }
        // Deliberately wrong: a positive click where the network is least sure of the object and a
        // negative click where it is most sure.
        let values = logits.values
        let lowest = values.indices.min { values[$0] < values[$1] }!, highest = values.indices.max { values[$0] < values[$1] }!
        let points = [(u: Double(lowest % 32), v: Double(lowest / 32), positive: true),
                      (u: Double(highest % 32), v: Double(highest / 32), positive: false)]
        var brs = FeatureBRS()
        brs.clickRadius = 0
        XCTAssertFalse(FeatureBRS.satisfied(logits, FeatureBRS.constraints(points, size: 32, radius: 0)))
        let outcome = try brs.refine(network: network, features: features, detail: detail, initialLogits: logits, points: points)
        XCTAssertTrue(outcome.satisfied)
        XCTAssertGreaterThan(outcome.iterations, 0)
        XCTAssertGreaterThan(outcome.logits.data[lowest], 0)
        XCTAssertLessThan(outcome.logits.data[highest], 0)
    }
}
