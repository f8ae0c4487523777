import Foundation
@testable import Learning
import TestSupport
import XCTest

/// Golden cases written by scripts/goldens/learning_goldens.py.
struct Golden {
    let object: [String: Any]

    init(_ name: String) throws {
        let url = TestPaths.repository.appendingPathComponent("Tests/Fixtures/learning/\(name).json")
        object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func tensor(_ key: String, requiresGrad: Bool = false) throws -> Tensor {
        let entry = try XCTUnwrap(object[key] as? [String: Any], "missing \(key)")
        let shape = try XCTUnwrap(entry["shape"] as? [Int])
        let data = try XCTUnwrap(entry["data"] as? [Double]).map(Float.init)
        return try Tensor(shape: shape, values: data, requiresGrad: requiresGrad)
    }

    func int(_ key: String) throws -> Int { try XCTUnwrap(object[key] as? Int, "missing \(key)") }
}

func assertClose(_ actual: Tensor?, _ expected: Tensor, tolerance: Float = 1e-4, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard let actual else { return XCTFail("no tensor: \(message)", file: file, line: line) }
    XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
    guard actual.shape == expected.shape else { return }
    var worst: Float = 0, at = 0
    for i in 0..<actual.count {
        let error = abs(actual.data[i] - expected.data[i]) / max(1, abs(expected.data[i]))
        if !(error <= worst) { worst = error; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(message): worst relative error \(worst) at \(at) (\(actual.data[at]) vs \(expected.data[at]))",
                             file: file, line: line)
}

func assertClose(_ actual: Float, _ expected: Float, tolerance: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(actual - expected) / max(1, abs(expected)), tolerance, "\(message): \(actual) vs \(expected)",
                             file: file, line: line)
}

/// Σ out ⊙ probe, the scalar through which gradient checks and goldens read an op's backward.
func probed(_ out: Tensor, _ probe: Tensor) throws -> Tensor {
    F.sum(try F.mul(out, probe))
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = false) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, in: -scale...scale, using: &generator, requiresGrad: requiresGrad)
}

/// Compares backward's gradients with central finite differences of Σ f(inputs) ⊙ probe
/// (accumulated in Double), for up to `samples` elements of each input that requires grad.
func checkGradients(_ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Double = 2e-2, samples: Int = 24,
                    _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
                    _ f: ([Tensor]) throws -> Tensor) throws {
    let out = try f(inputs)
    let probe = randomTensor(out.shape, seed: 99)
    for input in inputs { input.zeroGrad() }
    try probed(out, probe).backward()
    func objective() throws -> Double {
        try Autograd.noGrad { () throws -> Double in
            let y = try f(inputs)
            var total = 0.0
            for i in 0..<y.count { total += Double(y.data[i]) * Double(probe.data[i]) }
            return total
        }
    }
    for (index, input) in inputs.enumerated() where input.requiresGrad {
        let analytic = try XCTUnwrap(input.grad, "\(message): input \(index) got no gradient", file: file, line: line)
        let stride = max(1, input.count / samples)
        for element in Swift.stride(from: 0, to: input.count, by: stride) {
            let saved = input.data[element]
            input.data[element] = saved + epsilon
            let plus = try objective()
            input.data[element] = saved - epsilon
            let minus = try objective()
            input.data[element] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let value = Double(analytic.data[element])
            XCTAssertLessThanOrEqual(abs(value - numeric), tolerance * max(1, abs(numeric)),
                                     "\(message): input \(index) element \(element): analytic \(value) vs numeric \(numeric)",
                                     file: file, line: line)
        }
    }
}
