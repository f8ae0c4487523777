import Datasets
import Foundation
import Imaging
import Learning
import Refinement
import TestSupport
import XCTest

final class RefinementTests: XCTestCase {
    /// Flat colour plus noise: real tissue is pinker, synthetic bluer, so D has something to find.
    static func images(_ color: (Int, Int, Int), count: Int, size: Int = 32, seed: UInt64) -> [RGBImage] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            var image = RGBImage(width: size, height: size)
            for index in 0..<(size * size) {
                let noise = Int.random(in: -20...20, using: &rng)
                image.pixels[3 * index] = UInt8(clamping: color.0 + noise)
                image.pixels[3 * index + 1] = UInt8(clamping: color.1 + noise)
                image.pixels[3 * index + 2] = UInt8(clamping: color.2 + noise)
            }
            return image
        }
    }

    static let real = images((210, 120, 170), count: 4, seed: 1)
    static let synthetic = images((150, 110, 210), count: 4, seed: 2)
    static let heldOutReal = images((210, 120, 170), count: 6, size: 16, seed: 3)
    static let heldOutSynthetic = images((150, 110, 210), count: 6, size: 16, seed: 4)

    static func configuration() -> RefinerTrainer.Configuration {
        var configuration = RefinerTrainer.Configuration()
        configuration.architecture.refinerWidth = 8
        configuration.architecture.residualBlocks = 1
        configuration.architecture.discriminatorWidth = 8
        configuration.patchSize = 16
        configuration.batchSize = 4
        configuration.discriminatorWarmupSteps = 30
        configuration.refinerLearningRate = 3e-3
        configuration.discriminatorLearningRate = 3e-3
        configuration.lambda = 0.05
        configuration.historyCapacity = 16
        return configuration
    }

    func testRefinerStartsAsTheIdentity() throws {
        let model = RefinerModel(architecture: Self.configuration().architecture, seed: 5)
        XCTAssertEqual(try Refiner.refine(Self.real[0], model: model), Self.real[0])
    }

    func testRefinerLearnsToFoolTheDiscriminator() throws {
        var configuration = Self.configuration()
        let model = RefinerModel(architecture: configuration.architecture, seed: 5)
        // Warm-up only: D learns to tell the sets apart while R is still the identity.
        try RefinerTrainer.train(model: model, configuration: configuration, pool: Self.real, synthetic: Self.synthetic,
                                 options: .init(steps: 0))
        let before = try RefinerTrainer.discriminatorAccuracy(model: model, real: Self.heldOutReal, synthetic: Self.heldOutSynthetic)
        XCTAssertGreaterThan(before, 0.9)
        // Against that D held fixed, R's adversarial loss must fall and D's accuracy with it.
        configuration.discriminatorWarmupSteps = 0
        configuration.discriminatorUpdates = 0
        var losses: [Float] = []
        try RefinerTrainer.train(model: model, configuration: configuration, pool: Self.real, synthetic: Self.synthetic,
                                 options: .init(steps: 40), progress: { losses.append($0.refinerAdversarialLoss) })
        XCTAssertEqual(losses.count, 40)
        XCTAssertLessThan(losses.suffix(5).reduce(0, +), losses.prefix(5).reduce(0, +) * 0.8)
        let after = try RefinerTrainer.discriminatorAccuracy(model: model, real: Self.heldOutReal, synthetic: Self.heldOutSynthetic)
        XCTAssertLessThan(after, before)
    }

    func testAlternatingTrainingIsDeterministicForASeed() throws {
        func run() throws -> ([Float], [Float]) {
            let model = RefinerModel(architecture: Self.configuration().architecture, seed: 9)
            var losses: [Float] = []
            try RefinerTrainer.train(model: model, configuration: Self.configuration(), pool: Self.real, synthetic: Self.synthetic,
                                     options: .init(steps: 6), progress: { losses += [$0.refinerAdversarialLoss, $0.discriminatorLoss] })
            return (losses, model.refiner.parameters().flatMap(\.values))
        }
        let (lossesA, weightsA) = try run(), (lossesB, weightsB) = try run()
        XCTAssertEqual(lossesA, lossesB)
        XCTAssertEqual(weightsA, weightsB)
        XCTAssert(lossesA.allSatisfy(\.isFinite))
    }

    func testCheckpointsResumeAndApplyCopiesMasksAndWritesWeights() throws {
        let root = TestPaths.temporaryDirectory("refine")
        defer { try? FileManager.default.removeItem(at: root) }
        let checkpoint = root.appendingPathComponent("refiner.safetensors")
        let model = RefinerModel(architecture: Self.configuration().architecture, seed: 3)
        var options = RefinerTrainer.Options(steps: 4, checkpoint: checkpoint)
        options.checkpointEvery = 2
        try RefinerTrainer.train(model: model, configuration: Self.configuration(), pool: Self.real, synthetic: Self.synthetic, options: options)
        let loaded = try RefinerModel.load(from: checkpoint)
        XCTAssertEqual(loaded.step, 4)
        XCTAssertEqual(try SafeTensors.metadata(of: OptimizerSidecar.url(for: checkpoint))["step"], "4", "both optimisers' moments kept")
        XCTAssertEqual(loaded.refiner.parameters().flatMap(\.values), model.refiner.parameters().flatMap(\.values))
        // Resume: the step count continues.
        try RefinerTrainer.train(model: loaded, configuration: Self.configuration(), pool: Self.real, synthetic: Self.synthetic, options: options)
        XCTAssertEqual(try RefinerModel.load(from: checkpoint).step, 8)

        // Apply over a folder dataset.
        let synthetic = root.appendingPathComponent("synthetic")
        for (index, image) in Self.synthetic.prefix(3).enumerated() {
            var labels = LabelMap(width: 32, height: 32, repeating: 0)
            labels[index, 2] = 7
            try FolderDataset.write(try LabeledImage(image: image, labels: labels), name: "s\(index)", to: synthetic)
        }
        let out = root.appendingPathComponent("refined")
        let report = try Refiner.apply(model: loaded, synthetic: synthetic, out: out)
        XCTAssertEqual(report.images, 3)
        for index in 0..<3 {
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("instance_masks/s\(index).png")),
                           try Data(contentsOf: synthetic.appendingPathComponent("instance_masks/s\(index).png")))
        }
        let weights = try XCTUnwrap(SampleWeights.read(in: out))
        XCTAssertEqual(weights.count, 3)
        XCTAssertEqual(weights.values.reduce(0, +) / 3, 1, accuracy: 1e-6)
        XCTAssertThrowsError(try Refiner.apply(model: loaded, synthetic: synthetic, out: out))

        // A model of another shape is refused with a clear error.
        var other = Self.configuration()
        other.architecture.refinerWidth = 4
        let wrong = RefinerModel(architecture: other.architecture, seed: 1)
        XCTAssertThrowsError(try RefinerTrainer.train(model: wrong, configuration: Self.configuration(), pool: Self.real,
                                                      synthetic: Self.synthetic, options: .init(steps: 1)))
        let garbage = root.appendingPathComponent("garbage.safetensors")
        try Data("nonsense".utf8).write(to: garbage)
        XCTAssertThrowsError(try RefinerModel.load(from: garbage)) {
            guard case RefinementError.incompatibleModel = $0 else { return XCTFail("\($0)") }
        }
    }

    func testCancellationStopsTraining() throws {
        let model = RefinerModel(architecture: Self.configuration().architecture, seed: 3)
        XCTAssertThrowsError(try RefinerTrainer.train(model: model, configuration: Self.configuration(), pool: Self.real,
                                                      synthetic: Self.synthetic, options: .init(steps: 100), isCancelled: { true })) {
            guard case RefinementError.cancelled = $0 else { return XCTFail("\($0)") }
        }
    }

    func testRealismMeasureTellsDifferentSetsApart() throws {
        var configuration = RealismMeasure.Configuration()
        configuration.patchSize = 16
        configuration.steps = 60
        configuration.heldOutPatches = 32
        let different = try RealismMeasure.evaluate(real: Self.real, synthetic: Self.synthetic, configuration: configuration)
        XCTAssertGreaterThan(different.heldOutAccuracy, 0.9)
        XCTAssertThrowsError(try RealismMeasure.evaluate(real: [Self.real[0]], synthetic: Self.synthetic, configuration: configuration))
    }
}
