import Foundation
@testable import Learning
import TestSupport
import XCTest

final class AutogradTests: XCTestCase {
    func testGradientsAccumulateUntilCleared() throws {
        let w = try Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        for _ in 0..<3 { try F.sum(try F.mul(w, w)).backward() }
        XCTAssertEqual(w.grad?.values, [6, 12])
        w.zeroGrad()
        try F.sum(w).backward()
        XCTAssertEqual(w.grad?.values, [1, 1])
    }

    func testSharedSubexpressionGetsBothPaths() throws {
        let x = try Tensor(shape: [1], values: [3], requiresGrad: true)
        let y = try F.mul(x, x)           // x²
        let z = try F.add(y, F.scale(y, by: 2))  // 3x²
        try F.sum(z).backward()
        XCTAssertEqual(x.grad?.item, 18)
    }

    func testNoGradRecordsNothing() throws {
        let w = Tensor(shape: [1, 1, 1, 1], repeating: 2, requiresGrad: true)
        let x = Tensor(shape: [1, 2, 2, 1], repeating: 1)
        let y = try Autograd.noGrad { () throws(LearningError) in try F.conv2d(x, weight: w, activation: .relu) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.node)
        XCTAssertEqual(y.values, [2, 2, 2, 2])
        XCTAssertTrue(Autograd.isEnabled)
    }

    func testFrozenParametersGetNoGradient() throws {
        var generator = SeededGenerator(seed: 1)
        let conv = Conv2d(2, 3, kernel: 3, using: &generator)
        conv.setFrozen(true)
        let x = randomTensor([1, 4, 4, 2], seed: 2, requiresGrad: true)
        try F.sum(try conv(x)).backward()
        XCTAssertNil(conv.weight.grad)
        XCTAssertNil(conv.bias?.grad)
        XCTAssertNotNil(x.grad)
    }

    /// f-BRS: a frozen network, a feature computed without gradients, and only a per-channel
    /// scale and bias on that feature optimised by L-BFGS to make clicked pixels positive.
    func testGradientWithRespectToFeatureScaleAndBiasOnly() throws {
        var generator = SeededGenerator(seed: 3)
        let backbone = Conv2d(1, 4, kernel: 3, activation: .relu, using: &generator)
        let head = Conv2d(4, 1, kernel: 1, using: &generator)
        backbone.setFrozen(true)
        head.setFrozen(true)
        let image = randomTensor([1, 6, 6, 1], seed: 4)
        let feature = try Autograd.noGrad { () throws(LearningError) in try backbone(image) }
        XCTAssertFalse(feature.requiresGrad)
        let scale = Tensor(shape: [4], repeating: 1, requiresGrad: true), bias = Tensor(zeros: [4], requiresGrad: true)
        let clicks = Tensor(zeros: [1, 6, 6, 1])
        clicks.data[14] = 1; clicks.data[15] = 1
        func loss() throws(LearningError) -> Tensor {
            let logits = try head(try F.channelAffine(feature, scale: scale, bias: bias))
            let clicked = try F.mul(logits, clicks)
            return try F.bceWithLogits(try F.add(clicked, F.scale(clicks, by: 0)), clicks)
        }
        let before = try loss().item
        let result = try LBFGS(maxIterations: 20).minimize(parameters: [scale, bias], loss)
        XCTAssertLessThanOrEqual(result.iterations, 20)
        XCTAssertLessThan(result.loss, Double(before))
        XCTAssertNil(head.weight.grad)
        XCTAssertNil(backbone.weight.grad)

        // A gradient with respect to an intermediate tensor can also be read directly.
        let probeFeature = feature.detached(requiresGrad: true)
        try F.sum(try head(probeFeature)).backward()
        XCTAssertEqual(probeFeature.grad?.shape, feature.shape)
    }

    func testRetainsGradOnIntermediate() throws {
        let x = try Tensor(shape: [2], values: [1, -1], requiresGrad: true)
        let y = F.scale(x, by: 3)
        y.retainsGrad = true
        try F.sum(F.relu(y)).backward()
        XCTAssertEqual(y.grad?.values, [1, 0])
        XCTAssertEqual(x.grad?.values, [3, 0])
    }

    func testShapeErrorsNameTheOpAndShapes() {
        let x = Tensor(zeros: [1, 4, 4, 3]), w = Tensor(zeros: [3, 3, 2, 8])
        XCTAssertThrowsError(try F.conv2d(x, weight: w)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("conv2d") && text.contains("[1, 4, 4, 3]") && text.contains("[3, 3, 2, 8]"), text)
        }
        XCTAssertThrowsError(try F.add(Tensor(zeros: [2, 3]), Tensor(zeros: [4]))) { error in
            XCTAssertEqual(error as? LearningError, .shapeMismatch(op: "add", detail: "shapes do not broadcast", shapes: [[2, 3], [4]]))
        }
        XCTAssertThrowsError(try F.matmul(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 3])))
        XCTAssertThrowsError(try F.crossEntropy(Tensor(zeros: [2, 3]), labels: [0, 3]))
        XCTAssertThrowsError(try Tensor(zeros: [2]).backward())
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [1]))
    }

    func testNonFiniteLossIsReported() throws {
        let x = try Tensor(shape: [2], values: [1, .nan], requiresGrad: true)
        x.name = "logits"
        XCTAssertThrowsError(try F.mse(x, Tensor(zeros: [2]))) { error in
            guard case .nonFinite(let op, let detail)? = error as? LearningError else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "mse")
            XCTAssertTrue(detail.contains("logits"), detail)
        }
        XCTAssertThrowsError(try x.checkFinite("input"))
    }
}
