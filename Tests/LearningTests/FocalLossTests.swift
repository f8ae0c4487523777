@testable import Learning
import XCTest

/// The normalised focal loss against closed forms: γ = 0 is BCE, and with the normaliser held
/// constant its gradient is the finite difference of Σ w·(−log pₜ) / (Σ w at the base point).
final class FocalLossTests: XCTestCase {
    func testGammaZeroIsBinaryCrossEntropy() throws {
        let logits = randomTensor([2, 4, 4, 1], seed: 31, scale: 2, requiresGrad: true)
        let targets = Tensor(zeros: logits.shape)
        for i in 0..<targets.count { targets.data[i] = Float(i % 3 == 0 ? 1 : 0) }
        let focal = try F.normalizedFocalLoss(logits, targets, gamma: 0)
        try focal.backward()
        let focalGradient = try XCTUnwrap(logits.grad).data
        logits.zeroGrad()
        let bce = try F.bceWithLogits(logits, targets)
        try bce.backward()
        let bceGradient = try XCTUnwrap(logits.grad).data
        XCTAssertEqual(focal.item, bce.item, accuracy: 1e-5)
        for i in 0..<logits.count { XCTAssertEqual(focalGradient[i], bceGradient[i], accuracy: 1e-6, "element \(i)") }
    }

    func testDetachedNormaliserGradient() throws {
        let logits = randomTensor([2, 3, 3, 1], seed: 32, scale: 2, requiresGrad: true)
        let targets = Tensor(zeros: logits.shape)
        for i in 0..<targets.count { targets.data[i] = Float(i % 2) }
        let gamma = 2.0, samples = 2, perSample = logits.count / samples
        func terms(_ i: Int) -> (weight: Double, loss: Double) {
            let p = 1 / (1 + exp(-Double(logits.data[i]))), t = Double(targets.data[i])
            let pt = t * p + (1 - t) * (1 - p), w = pow(1 - pt, gamma)
            return (w, -w * log(pt))
        }
        let normalisers = (0..<samples).map { n in (n * perSample..<(n + 1) * perSample).map { terms($0).weight }.reduce(0, +) }
        func frozenObjective() -> Double {
            (0..<samples).map { n in
                (n * perSample..<(n + 1) * perSample).map { terms($0).loss }.reduce(0, +) / normalisers[n]
            }.reduce(0, +) / Double(samples)
        }
        let loss = try F.normalizedFocalLoss(logits, targets, gamma: Float(gamma))
        XCTAssertEqual(Double(loss.item), frozenObjective(), accuracy: 1e-5)
        try loss.backward()
        let analytic = try XCTUnwrap(logits.grad).data
        let epsilon: Float = 1e-2
        for i in 0..<logits.count {
            let saved = logits.data[i]
            logits.data[i] = saved + epsilon
            let plus = frozenObjective()
            logits.data[i] = saved - epsilon
            let minus = frozenObjective()
            logits.data[i] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)), "element \(i)")
        }
    }

    func testCertainPixelsKeepTheGradientFiniteForSmallGamma() throws {
        // sigmoid(40) is exactly 1 in Float: pₜ = 1, where (1 − pₜ)^(γ − 1) is unbounded for γ < 1.
        let logits = try Tensor(shape: [1, 2, 1, 1], values: [40, -0.5], requiresGrad: true)
        let targets = try Tensor(shape: [1, 2, 1, 1], values: [1, 1])
        let loss = try F.normalizedFocalLoss(logits, targets, gamma: 0.5)
        try loss.backward()
        let gradient = try XCTUnwrap(logits.grad).data
        XCTAssertTrue(loss.item.isFinite && gradient[0].isFinite && gradient[1].isFinite, "\(gradient[0]), \(gradient[1])")
        XCTAssertEqual(gradient[0], 0, accuracy: 1e-6)
        XCTAssertLessThan(gradient[1], 0, "raising the wrong pixel's logit lowers the loss")
    }

    func testRefusesMismatchedShapes() {
        XCTAssertThrowsError(try F.normalizedFocalLoss(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 4])))
    }
}
