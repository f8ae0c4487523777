import Datasets
import Foundation
import Imaging
@testable import Orchestrator
import TestSupport
import XCTest

final class TrainingMixTests: XCTestCase {
    func testAnnotatedCropsAreRepeatedToTheirShareAndNothingIsCopied() throws {
        let root = TestPaths.temporaryDirectory("mix")
        defer { try? FileManager.default.removeItem(at: root) }
        let synthetic = try makeDataset(root.appendingPathComponent("synthetic"), names: (0..<6).map { "s\($0)" })
        let annotated = try makeDataset(root.appendingPathComponent("annotated"), names: ["a0", "a1"])
        let mix = try TrainingMix.build(synthetic: synthetic, annotated: annotated, destination: root.appendingPathComponent("mix"),
                                        syntheticLimit: 4, realShare: 0.5)
        let dataset = try FolderDataset(root: mix, requireMasks: true)
        XCTAssertEqual(dataset.samples.filter { $0.name.hasPrefix("synthetic-") }.count, 4)
        XCTAssertEqual(dataset.samples.filter { $0.name.hasPrefix("annotated-") }.count, 4, "2 crops × 2 copies = half the samples")
        let attributes = try FileManager.default.attributesOfItem(atPath: dataset.samples[0].image.path)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink)
        XCTAssertEqual(try dataset.load(dataset.samples[0]).image.width, 8)
        XCTAssertNil(try SampleWeights.read(in: mix), "no weights in, none out")
    }

    func testImportanceWeightsOfSyntheticPairsAreCarriedOver() throws {
        let root = TestPaths.temporaryDirectory("mix-weights")
        defer { try? FileManager.default.removeItem(at: root) }
        let synthetic = try makeDataset(root.appendingPathComponent("synthetic"), names: ["s0", "s1", "s2"])
        try SampleWeights.write(["s0": 0.5, "s1": 1.5, "s2": 1], to: synthetic)
        let annotated = try makeDataset(root.appendingPathComponent("annotated"), names: ["a0"])
        let mix = try TrainingMix.build(synthetic: synthetic, annotated: annotated, destination: root.appendingPathComponent("mix"),
                                        syntheticLimit: 2, realShare: 0.5)
        XCTAssertEqual(try SampleWeights.read(in: mix), ["synthetic-s0": 0.5, "synthetic-s1": 1.5])
    }

    func makeDataset(_ folder: URL, names: [String]) throws -> URL {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        for name in names {
            try ImageFiles.writeRGB(RGBImage(width: 8, height: 8), to: folder.appendingPathComponent("images/\(name).png"))
            var labels = LabelMap(width: 8, height: 8, repeating: 0)
            labels[2, 2] = 1
            try ImageFiles.writeLabelMap(labels, to: folder.appendingPathComponent("instance_masks/\(name).png"))
        }
        return folder
    }
}
