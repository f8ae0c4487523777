import Foundation
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
        let (loss, terms) = try HoVerLoss.compute(HoVerNetOutput(np: npLogits, hv: hvPred, nc: nil), targets, weights: .paper)
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

    func testTypeTargetsAndTheNCTerms() throws {
        var labels = LabelMap(width: 4, height: 4, repeating: 0)
        for y in 0..<2 { for x in 0..<2 { labels[x, y] = 1 } }
        let types: [UInt8] = labels.storage.map { $0 == 0 ? 0 : 2 }
        let batch = try HoVerLoss.targets([LabelMapTargets(labels, minimumArea: 1)], types: [types], typeClasses: 3)
        XCTAssertEqual(batch.typeLabels?.filter { $0 == 2 }.count, 4)
        XCTAssertEqual(batch.typeOneHot?.shape, [1, 4, 4, 3])
        XCTAssertEqual(batch.typeOneHot?.values.reduce(0, +), 16)
        XCTAssertThrowsError(try HoVerLoss.targets([LabelMapTargets(labels)], types: [types], typeClasses: 2))
        XCTAssertThrowsError(try HoVerLoss.targets([LabelMapTargets(labels)], types: [[0]], typeClasses: 3))
        // With an NC output the loss gains the two type terms; without, it is unchanged.
        let output = HoVerNetOutput(np: Tensor(zeros: [1, 4, 4, 2]), hv: Tensor(zeros: [1, 4, 4, 2]), nc: Tensor(zeros: [1, 4, 4, 3]))
        let (withTypes, terms) = try HoVerLoss.compute(output, batch)
        XCTAssertEqual(terms.typeCrossEntropy, Float(log(3.0)), accuracy: 1e-5)
        let (without, plain) = try HoVerLoss.compute(HoVerNetOutput(np: output.np, hv: output.hv, nc: nil), batch)
        XCTAssertEqual(plain.typeCrossEntropy, 0)
        XCTAssertEqual(withTypes.item - without.item, terms.typeCrossEntropy + terms.typeDice, accuracy: 1e-5)
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
