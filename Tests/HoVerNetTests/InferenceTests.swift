import Imaging
import Learning
import XCTest
import Randomness
@testable import HoVerNet

final class InferenceTests: XCTestCase {
    private func model(seed: UInt64 = 3) throws -> HoVerNetModel {
        let model = try HoVerNetModel(configuration: tinyConfiguration, seed: seed)
        // Non-trivial running statistics, so eval-mode BN is exercised.
        for (name, tensor) in model.stateDict() where name.hasSuffix("running_var") {
            for i in 0..<tensor.count { tensor.data[i] = 0.5 + Float(i % 3) * 0.25 }
        }
        return model
    }

    /// Many small tiles with margins ≥ the receptive field reproduce one tile over the
    /// whole image (the pooling grids line up, and every output sees the same context).
    func testTilesStitchWithoutSeams() throws {
        let labels = disks(width: 70, height: 50, [(20, 20, 8), (50, 30, 10)])
        let image = syntheticImage(labels, seed: 11)
        let model = try model()
        let whole = try HoVerNetSegmenter(model: model, tiling: TilingOptions(maximumTile: 256, margin: 16)).predict(image)
        let tiled = try HoVerNetSegmenter(model: model, tiling: TilingOptions(maximumTile: 48, margin: 16)).predict(image)
        for i in 0..<whole.probability.count {
            XCTAssertEqual(whole.probability.storage[i], tiled.probability.storage[i], accuracy: 1e-4)
            XCTAssertEqual(whole.horizontal.storage[i], tiled.horizontal.storage[i], accuracy: 1e-4)
            XCTAssertEqual(whole.vertical.storage[i], tiled.vertical.storage[i], accuracy: 1e-4)
        }
    }

    /// Flip averaging commutes with mirroring the image: the maps of the mirrored image are
    /// the mirrored maps, with the offset along the mirrored axis negated.
    func testFlipAveragingIsMirrorEquivariant() throws {
        let labels = disks(width: 64, height: 48, [(20, 20, 8), (44, 30, 10)])
        let image = syntheticImage(labels, seed: 5)
        let segmenter = HoVerNetSegmenter(model: try model(), tiling: TilingOptions(maximumTile: 128, margin: 16))
        segmenter.flipAveraging = true
        let plain = try segmenter.predict(image)
        let mirrored = try segmenter.predict(HoVerNetSegmenter.mirror(image, x: true, y: false))
        let back = HoVerNetSegmenter.mirror(mirrored.probability, x: true, y: false)
        let backH = HoVerNetSegmenter.mirror(mirrored.horizontal, x: true, y: false)
        let backV = HoVerNetSegmenter.mirror(mirrored.vertical, x: true, y: false)
        for i in 0..<plain.probability.count {
            XCTAssertEqual(plain.probability.storage[i], back.storage[i], accuracy: 1e-5)
            XCTAssertEqual(plain.horizontal.storage[i], -backH.storage[i], accuracy: 1e-5)
            XCTAssertEqual(plain.vertical.storage[i], backV.storage[i], accuracy: 1e-5)
        }
        segmenter.flipAveraging = false
        let single = try segmenter.predict(image)
        XCTAssertNotEqual(single.probability.storage, plain.probability.storage, "averaging changes the maps")
    }

    /// Inference folds batch norm into the convs; it must equal conv → BN → ReLU.
    func testFoldedBatchNormMatchesTheUnfoldedPath() throws {
        let model = try model()
        for (name, tensor) in model.stateDict() where name.hasSuffix("running_mean") || name.hasSuffix("bn0.weight") {
            for i in 0..<tensor.count { tensor.data[i] = 0.3 - Float(i % 4) * 0.2 }
        }
        model.setTraining(false)
        var generator = SplitMix64(seed: 9)
        let input = Tensor.uniform([1, 8, 12, 3], in: 0...1, using: &generator)
        let unfolded = try model(input)   // gradients enabled: the plain path
        let folded = try Autograd.noGrad { () throws(LearningError) in try model(input) }
        for i in 0..<folded.count { XCTAssertEqual(folded.data[i], unfolded.data[i], accuracy: 1e-4) }
    }

    func testOddAndTinySizes() throws {
        let segmenter = HoVerNetSegmenter(model: try model(), tiling: TilingOptions(maximumTile: 64, margin: 8))
        for (w, h) in [(1, 1), (3, 17), (37, 23), (65, 130)] {
            let image = RGBImage(width: w, height: h, fill: (200, 100, 180))
            let result = try segmenter.segment(image)
            XCTAssertEqual(result.labels.width, w)
            XCTAssertEqual(result.labels.height, h)
            XCTAssertTrue((0...1).contains(result.uncertainty))
        }
        XCTAssertThrowsError(try segmenter.segment(RGBImage(width: 0, height: 0))) { error in
            guard case HoVerNetError.invalidInput = error else { return XCTFail("\(error)") }
        }
    }

    func testGrayAndRGBARastersAreConverted() throws {
        let segmenter = HoVerNetSegmenter(model: try model(), tiling: TilingOptions(maximumTile: 64, margin: 8))
        let gray = try Raster(width: 9, height: 5, channels: 1, samples: .uint8(Array(repeating: 120, count: 45)))
        let rgba = try Raster(width: 9, height: 5, channels: 4, samples: .uint8(Array(repeating: 120, count: 180)))
        let a = try segmenter.predict(RGBImage(gray)), b = try segmenter.predict(RGBImage(rgba))
        XCTAssertEqual(a.probability, b.probability)
    }

    func testUncertaintyIsMeanBinaryEntropy() {
        let p = try! Plane(width: 2, height: 1, storage: [0.5, 1])
        let prediction = HoVerNetPrediction(probability: p, horizontal: p, vertical: p, types: nil)
        XCTAssertEqual(prediction.meanEntropy, 0.5, accuracy: 1e-5)
    }

    func testTilingWithoutRoomIsRefused() throws {
        let segmenter = HoVerNetSegmenter(model: try model(), tiling: TilingOptions(maximumTile: 16, margin: 8))
        XCTAssertThrowsError(try segmenter.predict(RGBImage(width: 10, height: 10)))
    }

    func testDefaultArchitectureMatchesTheCPUReference() throws {
        let configuration = HoVerNetConfiguration()
        let model = try HoVerNetModel(configuration: configuration)
        // DESIGN.md: ~1.6 M parameters, ~17.2 GFLOP per 256×256 patch (upsample-then-1×1;
        // ours convolves first, which is cheaper).
        XCTAssertEqual(Double(model.parameterCount), 1.62e6, accuracy: 0.03e6)
        XCTAssertEqual(configuration.forwardFLOPs() / 1e9, 16.6, accuracy: 0.2)
        let tiny = try HoVerNetModel(configuration: tinyConfiguration)
        let counted = try tiny.summary(inputShape: [1, 16, 16, 3]).forwardFLOPs
        XCTAssertEqual(counted, tinyConfiguration.forwardFLOPs(height: 16, width: 16), accuracy: 1)
        let typed = try HoVerNetModel(configuration: HoVerNetConfiguration(widths: [4, 8], headWidth: 4, typeClasses: 3))
        let out = try typed.heads(Tensor(zeros: [1, 8, 8, 3]))
        XCTAssertEqual(out.nc?.shape, [1, 8, 8, 3])
        XCTAssertThrowsError(try HoVerNetModel(configuration: HoVerNetConfiguration(widths: [])))
        XCTAssertThrowsError(try HoVerNetModel(configuration: HoVerNetConfiguration(typeClasses: 1)))
    }
}
