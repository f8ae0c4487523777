import Artifacts
import Foundation
import Orchestrator
import Project
import TestSupport
import XCTest

final class ProjectExportTests: XCTestCase {
    /// A project with two evaluated cycles and one annotation in cycle 2, its files in `root`.
    private func project(in root: URL) throws -> (store: ProjectStore, models: [String: URL]) {
        let store = try ProjectStore(path: root.appendingPathComponent("p.sqlite").path)
        var models: [String: URL] = [:]
        for (index, name) in ["hovernet-1", "interactive-1", "hovernet-2", "interactive-2"].enumerated() {
            let data = Data("weights \(name)".utf8)
            let file = root.appendingPathComponent(name + ".safetensors")
            try data.write(to: file)
            let sha = SHA256.hex(of: data)
            try store.recordArtifact(ArtifactRecord(sha256: sha, kind: index % 2 == 0 ? "hovernet-model" : "interactive-model",
                                                    path: file.path, sizeBytes: data.count))
            models[name] = file
        }
        func sha(_ name: String) throws -> String { SHA256.hex(of: try Data(contentsOf: models[name]!)) }
        let crops = root.appendingPathComponent("annotations")
        try FileManager.default.createDirectory(at: crops.appendingPathComponent("images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: crops.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        let map = crops.appendingPathComponent("instance_masks/a_x0_y0_s64.png")
        try Data("map".utf8).write(to: map)
        try Data("crop".utf8).write(to: crops.appendingPathComponent("images/a_x0_y0_s64.png"))
        _ = try store.recordAnnotation(AnnotationRecord(
            cycle: 2, imageName: "a", cropX: 0, cropY: 0, cropWidth: 64, cropHeight: 64,
            instanceMapSHA256: SHA256.hex(of: Data("map".utf8)), instanceMapPath: map.path, nucleusCount: 12,
            clicks: "[]", clickCount: 20, seconds: 3, modelSHA256: try sha("interactive-1"), annotator: "simulated"))
        for cycle in 1...2 {
            try store.recordCycle(CycleRecord(
                number: cycle, scores: CycleScores(dice1: 0.7 + Double(cycle) / 100, dice2: 0, aji: 0.5, ajiPlus: 0.5, dq: 0, sq: 0, pq: 0.4),
                clicks: cycle == 2 ? 20 : 0, annotatedNuclei: cycle == 2 ? 12 : 0, seconds: 60,
                hovernetModelSHA256: try sha("hovernet-\(cycle)"), interactiveModelSHA256: try sha("interactive-\(cycle)")))
        }
        return (store, models)
    }

    func testTheLastCycleExportsItsModelsAndEveryAnnotation() throws {
        let root = TestPaths.temporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: root) }
        let (store, _) = try project(in: root)
        let out = root.appendingPathComponent("out")
        let summary = try ProjectExport.export(store, to: out)
        XCTAssertEqual(summary.cycle, 2)
        XCTAssertEqual(try XCTUnwrap(summary.dice1), 0.72, accuracy: 1e-12)
        XCTAssertEqual(summary.annotatedCrops, 1)
        XCTAssertEqual(summary.nuclei, 12)
        XCTAssertEqual(summary.clicks, 20)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("hovernet.safetensors"), encoding: .utf8), "weights hovernet-2")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("interactive.safetensors"), encoding: .utf8), "weights interactive-2")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("annotations/images/a_x0_y0_s64.png"), encoding: .utf8), "crop")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("annotations/instance_masks/a_x0_y0_s64.png"), encoding: .utf8), "map")
        let written = try JSONDecoder().decode(ProjectExport.Summary.self, from: Data(contentsOf: out.appendingPathComponent("export.json")))
        XCTAssertEqual(written, summary)

        // An earlier cycle: its models, and none of the later annotations.
        let first = try ProjectExport.export(store, cycle: 1, to: root.appendingPathComponent("first"))
        XCTAssertEqual(first.annotatedCrops, 0)
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("first/hovernet.safetensors"), encoding: .utf8), "weights hovernet-1")
    }

    func testMissingChangedAndUnevaluatedAreNamedErrors() throws {
        let root = TestPaths.temporaryDirectory("export-errors")
        defer { try? FileManager.default.removeItem(at: root) }
        let (store, models) = try project(in: root)
        XCTAssertThrowsError(try ProjectExport.export(store, cycle: 7, to: root.appendingPathComponent("x"))) { error in
            XCTAssertEqual(error as? ProjectExportError, .noSuchCycle(7, evaluated: [1, 2]))
        }
        try Data("tampered".utf8).write(to: models["hovernet-2"]!)
        XCTAssertThrowsError(try ProjectExport.export(store, to: root.appendingPathComponent("x"))) { error in
            XCTAssertEqual(error as? ProjectExportError, .changed(what: "HoVerNet model", path: models["hovernet-2"]!.path))
        }
        try FileManager.default.removeItem(at: models["interactive-1"]!)
        XCTAssertThrowsError(try ProjectExport.export(store, cycle: 1, to: root.appendingPathComponent("x"))) { error in
            XCTAssertEqual(error as? ProjectExportError, .unreadable(what: "interactive model", path: models["interactive-1"]!.path))
        }
        let empty = try ProjectStore(path: root.appendingPathComponent("empty.sqlite").path)
        XCTAssertThrowsError(try ProjectExport.export(empty, to: root.appendingPathComponent("x"))) { error in
            guard case .nothingEvaluated = error as? ProjectExportError else { return XCTFail("\(error)") }
        }
    }
}
