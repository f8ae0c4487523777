import Imaging
import Learning
import XCTest
@testable import HoVerNet

final class LossTests: XCTestCase {
    /// CE + Dice + MSE + 2·MSGE and its gradients against the PyTorch reference.
    func testMatchesPyTorchGolden() throws {
        let object = try golden("loss")
        let shape = try XCTUnwrap(object["shape"] as? [Int])
        let labels = try XCTUnwrap(object["labels"] as? [Int]).map { Int32($0) }
        let npLogits = try Tensor(shape: shape, values: floats(object, "np_logits"), requiresGrad: true)
        let hvPred = try Tensor(shape: shape, values: floats(object, "hv_pred"), requiresGrad: true)
        let hvTrue = try Tensor(shape: shape, values: floats(object, "hv_true"))
        let oneHot = Tensor(zeros: shape), mask = Tensor(zeros: Array(shape.prefix(3)))
        for (i, label) in labels.enumerated() { oneHot.data[i * 2 + Int(label)] = 1; mask.data[i] = Float(label) }
        let targets = TargetBatch(npLabels: labels, npOneHot: oneHot, hv: hvTrue, mask: mask)
        let (loss, terms) = try HoVerLoss.compute(HoVerNetOutput(np: npLogits, hv: hvPred, nc: nil), targets)
        let expectedTerms = try floats(object, "terms")
        XCTAssertEqual(terms.crossEntropy, expectedTerms[0], accuracy: 1e-4)
        XCTAssertEqual(terms.dice, expectedTerms[1], accuracy: 1e-4)
        XCTAssertEqual(terms.mse, expectedTerms[2], accuracy: 1e-4)
        XCTAssertEqual(terms.msge, expectedTerms[3], accuracy: 1e-4)
        XCTAssertEqual(loss.item, Float(try XCTUnwrap(object["loss"] as? Double)), accuracy: 1e-4)
        try loss.backward()
        for (tensor, key) in [(npLogits, "grad_np"), (hvPred, "grad_hv")] {
            let expected = try floats(object, key)
            let grad = try XCTUnwrap(tensor.grad, "no gradient for \(key)")
            for i in 0..<expected.count { XCTAssertEqual(grad.data[i], expected[i], accuracy: 1e-5, "\(key)[\(i)]") }
        }
    }

    func testTargetBatchLayout() throws {
        var labels = LabelMap(width: 8, height: 8, repeating: 0)
        for y in 1...6 { for x in 1...6 { labels[x, y] = 3 } }
        let batch = try HoVerLoss.targets([LabelMapTargets(labels, minimumArea: 1), LabelMapTargets(LabelMap(width: 8, height: 8, repeating: 0))])
        XCTAssertEqual(batch.hv.shape, [2, 8, 8, 2])
        XCTAssertEqual(batch.npLabels.filter { $0 == 1 }.count, 36)
        XCTAssertEqual(batch.mask.values.reduce(0, +), 36)
        XCTAssertEqual(batch.npOneHot.values.reduce(0, +), 128)
        XCTAssertThrowsError(try HoVerLoss.targets([]))
        XCTAssertThrowsError(try HoVerLoss.targets([LabelMapTargets(labels), LabelMapTargets(LabelMap(width: 4, height: 8, repeating: 0))]))
    }
}
