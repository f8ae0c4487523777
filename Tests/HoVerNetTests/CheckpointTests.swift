import Foundation
import Imaging
import Learning
import TestSupport
import XCTest
@testable import HoVerNet

final class CheckpointTests: XCTestCase {
    func testRoundTripKeepsWeightsAndMetadata() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-ckpt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let model = try HoVerNetModel(configuration: tinyConfiguration, seed: 5)
        try Checkpoint.save(model, to: url, step: 42, notes: ["validation_aji": "0.5"])
        let (loaded, info) = try Checkpoint.load(url)
        XCTAssertEqual(info.configuration, tinyConfiguration)
        XCTAssertEqual(info.step, 42)
        XCTAssertEqual(info.parameters, model.parameterCount)
        XCTAssertEqual(info.notes["validation_aji"], "0.5")
        for ((name, a), (_, b)) in zip(model.stateDict(), loaded.stateDict()) { XCTAssertEqual(a.values, b.values, name) }
        let image = syntheticImage(disks(width: 20, height: 20, [(10, 10, 5)]), seed: 1)
        XCTAssertEqual(try HoVerNetSegmenter(model: model).predict(image).probability,
                       try HoVerNetSegmenter(model: loaded).predict(image).probability)
        // No temporary file is left next to the model.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    }

    func testOtherArchitectureIsRefused() throws {
        let folder = TestPaths.temporaryDirectory("hovernet-arch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("wide.safetensors")
        try Checkpoint.save(try HoVerNetModel(configuration: HoVerNetConfiguration(widths: [4, 8, 16], headWidth: 4)), to: url)
        let target = try HoVerNetModel(configuration: tinyConfiguration)
        XCTAssertThrowsError(try Checkpoint.load(url, into: target)) { error in
            guard case HoVerNetError.architectureMismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("widths=4,8,16"), "\(error)")
        }
        // A plain safetensors file without our metadata, and a file that is not safetensors.
        let plain = folder.appendingPathComponent("plain.safetensors")
        try target.save(to: plain)
        XCTAssertThrowsError(try Checkpoint.load(plain)) { error in
            guard case HoVerNetError.notAHoVerNetModel = error else { return XCTFail("\(error)") }
        }
        let junk = folder.appendingPathComponent("junk.safetensors")
        try Data("hello".utf8).write(to: junk)
        XCTAssertThrowsError(try Checkpoint.load(junk))
        XCTAssertThrowsError(try Checkpoint.load(folder.appendingPathComponent("missing.safetensors")))
    }
}
