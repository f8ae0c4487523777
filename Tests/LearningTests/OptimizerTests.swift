import Foundation
@testable import Learning
import TestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    func testSGDMomentumMatchesPyTorchRecurrence() throws {
        let p = try Tensor(shape: [1], values: [1], requiresGrad: true)
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9)
        // loss = p², grad = 2p. By hand: buf1 = 2 → p = 0.8; buf2 = 0.9·2 + 1.6 = 3.4 → p = 0.46.
        for _ in 0..<2 {
            p.zeroGrad()
            try F.sum(try F.mul(p, p)).backward()
            sgd.step()
        }
        XCTAssertEqual(p.item, 0.46, accuracy: 1e-6)
    }

    func testAdamFirstStepMovesByLearningRate() throws {
        let p = try Tensor(shape: [2], values: [1, -2], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.01)
        try F.sum(try F.mul(p, p)).backward()
        adam.step()
        XCTAssertEqual(p.values[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(p.values[1], -1.99, accuracy: 1e-6)
        let q = try Tensor(shape: [1], values: [1], requiresGrad: true)
        let adamW = Adam.adamW(parameters: [q], learningRate: 0.1, weightDecay: 0.5)
        try F.sum(q).backward()
        adamW.step()
        XCTAssertEqual(q.item, 1 * (1 - 0.05) - 0.1, accuracy: 1e-6)
    }

    func testAdamStateRestoredContinuesTheSameOptimisation() throws {
        func lossStep(_ p: Tensor, _ adam: Adam) throws {
            p.zeroGrad()
            try F.sum(try F.mul(p, try F.mul(p, p))).backward()
            adam.step()
        }
        let p = try Tensor(shape: [3], values: [1, -2, 0.5], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.05)
        for _ in 0..<3 { try lossStep(p, adam) }
        // Through named tensors, as a resume file stores them.
        let saved = adam.state
        let state = try XCTUnwrap(AdamState(tensors: saved.tensors(shapes: [[3]]), steps: saved.steps))
        let q = try Tensor(shape: [3], values: p.values, requiresGrad: true)
        let resumed = Adam(parameters: [q], learningRate: 0.05)
        try resumed.restore(state)
        XCTAssertEqual(resumed.steps, 3)
        // A fresh optimiser from the same weights (moments from zero) lands elsewhere.
        let fresh = try Tensor(shape: [3], values: p.values, requiresGrad: true)
        try lossStep(fresh, Adam(parameters: [fresh], learningRate: 0.05))
        try lossStep(p, adam)
        try lossStep(q, resumed)
        XCTAssertEqual(q.values, p.values)
        XCTAssertNotEqual(fresh.values, p.values)

        XCTAssertNil(AdamState(tensors: [:], steps: 1))
        let other = Adam(parameters: [try Tensor(shape: [2], values: [0, 0], requiresGrad: true)])
        XCTAssertThrowsError(try other.restore(state))
        XCTAssertEqual(other.steps, 0)
    }

    func testSidecarRestoresOnlyTheStateOfTheSameStep() throws {
        let folder = TestPaths.temporaryDirectory("optimizer-sidecar")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("model.safetensors")
        let p = try Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.1)
        try F.sum(try F.mul(p, p)).backward()
        adam.step()
        try OptimizerSidecar.save(["adam": adam], step: 7, nextTo: model)
        XCTAssertEqual(OptimizerSidecar.url(for: model).lastPathComponent, "model.optimizer.safetensors")

        let fresh = Adam(parameters: [try Tensor(shape: [2, 2], values: [0, 0, 0, 0], requiresGrad: true)])
        XCTAssertFalse(OptimizerSidecar.restore(["adam": fresh], step: 8, from: model), "weights of another step")
        XCTAssertEqual(fresh.steps, 0)
        XCTAssertFalse(OptimizerSidecar.restore(["other": fresh], step: 7, from: model), "no state of that name")
        let wrongShape = Adam(parameters: [try Tensor(shape: [3], values: [0, 0, 0], requiresGrad: true)])
        XCTAssertFalse(OptimizerSidecar.restore(["adam": wrongShape], step: 7, from: model))
        XCTAssertTrue(OptimizerSidecar.restore(["adam": fresh], step: 7, from: model))
        XCTAssertEqual(fresh.steps, 1)
        XCTAssertEqual(fresh.state.firstMoments, adam.state.firstMoments)
        XCTAssertEqual(fresh.state.secondMoments, adam.state.secondMoments)
        XCTAssertFalse(OptimizerSidecar.restore(["adam": fresh], step: 7, from: folder.appendingPathComponent("none.safetensors")))
    }

    func testFrozenParameterIsNotUpdated() throws {
        let p = try Tensor(shape: [1], values: [1], requiresGrad: true)
        try F.sum(p).backward()
        p.requiresGrad = false
        Adam(parameters: [p]).step()
        XCTAssertEqual(p.item, 1)
    }

    func testSchedules() {
        let cosine = LearningRateSchedule(base: 1, warmupSteps: 10, decay: .cosine(totalSteps: 110, minimum: 0.1))
        XCTAssertEqual(cosine.rate(at: 0), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 9), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(at: 60), 0.55, accuracy: 1e-5)
        XCTAssertEqual(cosine.rate(at: 500), 0.1, accuracy: 1e-6)
        let step = LearningRateSchedule(base: 1, decay: .step(every: 10, gamma: 0.5))
        XCTAssertEqual(step.rate(at: 25), 0.25, accuracy: 1e-6)
    }

    func testLBFGSSolvesQuadraticWithinTwentyIterations() {
        // f = ½ xᵀAx − bᵀx with A = diag(1...10): minimum at x = b/A.
        let b = (1...10).map(Double.init)
        let result = LBFGS(maxIterations: 20).minimize(from: [Double](repeating: 0, count: 10)) { x in
            var loss = 0.0, gradient = [Double](repeating: 0, count: 10)
            for i in 0..<10 {
                let a = Double(i + 1)
                loss += 0.5 * a * x[i] * x[i] - b[i] * x[i]
                gradient[i] = a * x[i] - b[i]
            }
            return (loss, gradient)
        }
        XCTAssertLessThanOrEqual(result.iterations, 20)
        for i in 0..<10 { XCTAssertEqual(result.x[i], 1, accuracy: 1e-4) }
    }

    func testLBFGSMinimisesRosenbrock() {
        func rosenbrock(_ x: [Double]) -> (Double, [Double]) {
            let (a, b) = (x[0], x[1])
            return ((1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a),
                    [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        }
        let short = LBFGS(maxIterations: 20).minimize(from: [-1.2, 1], rosenbrock)
        XCTAssertLessThan(short.loss, rosenbrock([-1.2, 1]).0 / 4)
        let long = LBFGS(maxIterations: 200).minimize(from: [-1.2, 1], rosenbrock)
        XCTAssertEqual(long.x[0], 1, accuracy: 1e-3)
        XCTAssertEqual(long.x[1], 1, accuracy: 2e-3)
    }
}
