import Foundation
@testable import Learning
import TestSupport
import XCTest

final class ModuleTests: XCTestCase {
    func makeModel(seed: UInt64) -> Sequential {
        var generator = SeededGenerator(seed: seed)
        return Sequential([
            ("conv1", Conv2d(3, 8, kernel: 3, activation: .relu, using: &generator)),
            ("bn", BatchNorm2d(8)),
            ("pool", Lambda.maxPool()),
            ("head", Conv2d(8, 2, kernel: 1, using: &generator)),
        ])
    }

    func testNamedParametersAndSummary() throws {
        let model = makeModel(seed: 1)
        XCTAssertEqual(model.namedParameters().map(\.0), ["conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "head.weight", "head.bias"])
        XCTAssertEqual(model.stateDict().map(\.0).suffix(2), ["bn.running_mean", "bn.running_var"])
        let summary = try model.summary(inputShape: [1, 16, 16, 3])
        XCTAssertEqual(summary.parameters, 3 * 3 * 3 * 8 + 8 + 16 + 8 * 2 + 2)
        XCTAssertEqual(summary.forwardFLOPs, 2.0 * 256 * 27 * 8 + 2.0 * 64 * 8 * 2)
        XCTAssertEqual(summary.outputShape, [1, 8, 8, 2])
    }

    func testSafetensorsRoundTripAndExactHeader() throws {
        let model = makeModel(seed: 2)
        // Into a folder nobody made yet: saving makes it.
        let url = TestPaths.temporaryDirectory("weights").appendingPathComponent("new/folder/model.safetensors")
        try model.save(to: url, metadata: ["format": "pt"])
        let data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual((8 + headerLength) % 8, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let entry = try XCTUnwrap(header["conv1.weight"] as? [String: Any])
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        XCTAssertEqual(entry["shape"] as? [Int], [3, 3, 3, 8])
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        XCTAssertEqual(offsets[1] - offsets[0], 216 * 4)
        XCTAssertEqual((header["__metadata__"] as? [String: String])?["format"], "pt")
        XCTAssertEqual(data.count, 8 + headerLength + model.stateDict().reduce(0) { $0 + $1.1.count * 4 })

        let other = makeModel(seed: 3)
        XCTAssertNotEqual(other.stateDict()[0].1.values, model.stateDict()[0].1.values)
        try other.load(from: url)
        for ((name, a), (_, b)) in zip(model.stateDict(), other.stateDict()) { XCTAssertEqual(a.values, b.values, name) }
        XCTAssertThrowsError(try other.load(from: url.appendingPathExtension("missing"))) { error in
            XCTAssertTrue("\(error)".hasSuffix("No such file or directory"), "\(error)")
        }
    }

    func testLoadingNamesMissingAndMismatchedTensors() throws {
        let model = makeModel(seed: 4)
        let folder = TestPaths.temporaryDirectory("weights")
        let partial = folder.appendingPathComponent("partial.safetensors")
        try SafeTensors.save(model.stateDict().filter { $0.0 != "head.bias" }, to: partial)
        XCTAssertThrowsError(try model.load(from: partial)) { error in
            XCTAssertEqual(error as? LearningError, .missingTensor(name: "head.bias"))
        }
        let wrong = folder.appendingPathComponent("wrong.safetensors")
        try SafeTensors.save(model.stateDict().map { $0.0 == "conv1.weight" ? ($0.0, Tensor(zeros: [3, 3, 3, 4])) : $0 }, to: wrong)
        XCTAssertThrowsError(try model.load(from: wrong)) { error in
            XCTAssertEqual(error as? LearningError, .tensorShapeMismatch(name: "conv1.weight", expected: [3, 3, 3, 8], found: [3, 3, 3, 4]))
            XCTAssertTrue("\(error)".contains("conv1.weight"))
        }
        XCTAssertThrowsError(try SafeTensors.decode(Data([1, 2, 3])))
        var header = Array("{\"x\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: [0, 0])
        XCTAssertThrowsError(try SafeTensors.decode(bytes)) { error in
            XCTAssertEqual(error as? LearningError, .unsupportedDType(name: "x", dtype: "F16"))
        }
    }

    func testInitialisersHaveTheirScale() {
        var generator = SeededGenerator(seed: 5)
        let kaiming = Initializer.kaimingNormal([3, 3, 64, 64], fanIn: 576, using: &generator)
        let variance = kaiming.values.reduce(0) { $0 + Double($1 * $1) } / Double(kaiming.count)
        XCTAssertEqual(variance, 2.0 / 576, accuracy: 0.1 * 2.0 / 576)
        let xavier = Initializer.xavierUniform([100, 50], fanIn: 100, fanOut: 50, using: &generator)
        let bound = Float((6.0 / 150).squareRoot())
        XCTAssertTrue(xavier.values.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(xavier.values.map(abs).max() ?? 0, bound * 0.9)
    }
}
