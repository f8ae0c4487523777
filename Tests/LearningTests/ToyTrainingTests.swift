@testable import Learning
import TestSupport
import XCTest

/// A tiny conv net learns to segment bright discs from noise, with the same losses each run.
final class ToyTrainingTests: XCTestCase {
    func toyBatch(seed: UInt64) -> (Tensor, Tensor) {
        var generator = SeededGenerator(seed: seed)
        let (n, size) = (4, 16)
        let image = Tensor(zeros: [n, size, size, 1]), mask = Tensor(zeros: [n, size, size, 1])
        for b in 0..<n {
            let cx = Float.random(in: 4...11, using: &generator), cy = Float.random(in: 4...11, using: &generator)
            let radius = Float.random(in: 2...4, using: &generator)
            for y in 0..<size {
                for x in 0..<size {
                    let inside = (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy) <= radius * radius
                    let i = (b * size + y) * size + x
                    mask.data[i] = inside ? 1 : 0
                    image.data[i] = (inside ? 0.8 : 0.2) + Float.random(in: -0.3...0.3, using: &generator)
                }
            }
        }
        return (image, mask)
    }

    func train() throws -> [Float] {
        var generator = SeededGenerator(seed: 42)
        let model = Sequential([
            ("conv1", Conv2d(1, 8, kernel: 3, activation: .relu, using: &generator)),
            ("pool", Lambda.maxPool()),
            ("conv2", Conv2d(8, 8, kernel: 3, activation: .relu, using: &generator)),
            ("up", Lambda.upsampleBilinear()),
            ("head", Conv2d(8, 1, kernel: 1, using: &generator)),
        ])
        let optimizer = Adam(parameters: model.parameters(), learningRate: 0.02)
        var losses: [Float] = []
        for step in 0..<40 {
            let (image, mask) = toyBatch(seed: UInt64(step % 4))
            model.zeroGrad()
            let logits = try model(image)
            let loss = try F.add(try F.bceWithLogits(logits, mask), try F.softDice(F.sigmoid(logits), mask))
            try loss.backward()
            optimizer.step()
            losses.append(loss.item)
        }
        return losses
    }

    func testLossFallsReproducibly() throws {
        let first = try train()
        let second = try train()
        XCTAssertEqual(first, second, "same seed, same losses")
        let start = first.prefix(4).reduce(0, +) / 4, end = first.suffix(4).reduce(0, +) / 4
        XCTAssertLessThan(end, start * 0.5, "loss \(start) → \(end)")
    }
}
