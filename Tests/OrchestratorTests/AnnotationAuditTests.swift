import Foundation
import Imaging
import Orchestrator
import Project
import TestSupport
import XCTest

final class AnnotationAuditTests: XCTestCase {
    /// An 8×8 ground truth: nucleus 1 in the top-left 2×2 of the rectangle (2, 2, 4×4), nucleus 2 in its bottom-right 2×2.
    private let truth: LabelMap = {
        var map = LabelMap(width: 8, height: 8, repeating: 0)
        for (x, y) in [(2, 2), (3, 2), (2, 3), (3, 3)] { map[x, y] = 1 }
        for (x, y) in [(4, 4), (5, 4), (4, 5), (5, 5)] { map[x, y] = 2 }
        return map
    }()

    private func record(cycle: Int, image: String = "a", x: Int = 2, y: Int = 2, size: Int = 4, id: Int64) -> AnnotationRecord {
        AnnotationRecord(id: id, cycle: cycle, imageName: image, cropX: x, cropY: y, cropWidth: size, cropHeight: size,
                         instanceMapSHA256: "", instanceMapPath: "/maps/\(id).png", nucleusCount: 1, clicks: "[]",
                         clickCount: 2, seconds: 1, modelSHA256: "", annotator: "simulated")
    }

    /// The ground truth's rectangle, with nucleus 2 left out when `missing` is set.
    private func annotation(missing: Bool) -> LabelMap {
        var map = truth.cropped(x: 2, y: 2, width: 4, height: 4)
        if missing { map.storage = map.storage.map { $0 == 2 ? 0 : $0 } }
        return map
    }

    func testScoresEachAnnotationAgainstItsRectangleAndAveragesPerCycle() throws {
        let maps: [Int64: LabelMap] = [1: annotation(missing: false), 2: annotation(missing: true), 3: annotation(missing: false)]
        let audit = try AnnotationAudit(
            records: [record(cycle: 2, id: 3), record(cycle: 1, id: 1), record(cycle: 1, id: 2)],
            groundTruth: { name in name == "a" ? self.truth : nil },
            annotationMap: { maps[$0.id!]! })
        XCTAssertEqual(audit.annotations.map(\.cycle), [1, 1, 2])
        XCTAssertEqual(audit.annotations.map(\.ground_truth_nuclei), [2, 2, 2])
        let exact = try XCTUnwrap(audit.annotations[0].scores)
        XCTAssertEqual([exact.dice1, exact.aji], [1, 1])
        XCTAssertEqual(exact.pq, 1, accuracy: 1e-5)  // hover_net's SQ divides by TP + 1e-6
        // One of two nuclei found exactly: AJI 4 / (4 + 4), Dice 2·4 / (8 + 4), PQ = DQ = 1 / (1 + ½).
        let partial = try XCTUnwrap(audit.annotations[1].scores)
        XCTAssertEqual(partial.aji, 0.5, accuracy: 1e-12)
        XCTAssertEqual(partial.dice1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(partial.pq, 2.0 / 3, accuracy: 1e-5)
        XCTAssertEqual(audit.cycles.map(\.cycle), [1, 2])
        XCTAssertEqual(audit.cycles.map(\.scored), [2, 1])
        XCTAssertEqual(audit.cycles[0].scores.aji, 0.75, accuracy: 1e-12)
        XCTAssertEqual(audit.mean.aji, (1 + 0.5 + 1) / 3, accuracy: 1e-12)
        XCTAssertEqual(audit.unscored, 0)
        XCTAssertTrue(audit.table.contains("cycle 1 mean of 2: dice1 0.8333  aji 0.7500  pq 0.8333"), audit.table)
    }

    func testImagesWithoutGroundTruthAreListedUnscoredWithTheSameJSONKeys() throws {
        let audit = try AnnotationAudit(
            records: [record(cycle: 1, id: 1), record(cycle: 1, image: "b", id: 2)],
            groundTruth: { name in name == "a" ? self.truth : nil },
            annotationMap: { _ in self.annotation(missing: false) })
        XCTAssertEqual(audit.unscored, 1)
        XCTAssertNil(audit.annotations[1].scores)
        XCTAssertNil(audit.annotations[1].ground_truth_nuclei)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(audit)) as? [String: Any]
        let rows = try XCTUnwrap(json?["annotations"] as? [[String: Any]])
        XCTAssertEqual(Set(rows[0].keys), Set(rows[1].keys))
        XCTAssertTrue(rows[1]["scores"] is NSNull)
        XCTAssertTrue(audit.table.contains("1 annotation(s) of images without a ground-truth map"), audit.table)
    }

    func testBadInputIsNamed() {
        func error(_ records: [AnnotationRecord], truth: LabelMap?, map: LabelMap) -> String {
            do {
                _ = try AnnotationAudit(records: records, groundTruth: { _ in truth }, annotationMap: { _ in map })
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let good = annotation(missing: false)
        XCTAssertTrue(error([record(cycle: 1, x: 6, id: 1)], truth: truth, map: good).contains("outside its 8×8 ground truth"))
        XCTAssertTrue(error([record(cycle: 1, id: 1)], truth: truth, map: LabelMap(width: 3, height: 4, repeating: 0))
            .contains("/maps/1.png is 3×4, but its annotation's rectangle is 4×4"))
        XCTAssertTrue(error([record(cycle: 1, id: 1)], truth: nil, map: good).contains("none of the 1 annotated images has a ground-truth map"))
        XCTAssertTrue(error([], truth: truth, map: good).contains("no accepted annotation yet"))
    }

    func testReadsTheProjectAndTheGroundTruthFolder() throws {
        let root = TestPaths.temporaryDirectory("annotation-audit")
        defer { try? FileManager.default.removeItem(at: root) }
        let truthFolder = root.appendingPathComponent("instance_masks")
        try FileManager.default.createDirectory(at: truthFolder, withIntermediateDirectories: true)
        try ImageFiles.writeLabelMap(truth, to: truthFolder.appendingPathComponent("a.png"))
        let mapFile = root.appendingPathComponent("a_x2_y2_s4.png")
        try ImageFiles.writeLabelMap(annotation(missing: true), to: mapFile)
        let store = try ProjectStore(path: root.appendingPathComponent("p.sqlite").path)
        var stored = record(cycle: 2, id: 1)
        stored.id = nil
        stored.instanceMapPath = mapFile.path
        _ = try store.recordAnnotation(stored)
        let audit = try AnnotationAudit(project: store, groundTruth: truthFolder)
        XCTAssertEqual(audit.cycles.map(\.cycle), [2])
        XCTAssertEqual(audit.mean.aji, 0.5, accuracy: 1e-12)

        try Data("not a png".utf8).write(to: mapFile)
        XCTAssertThrowsError(try AnnotationAudit(project: store, groundTruth: truthFolder)) { error in
            XCTAssertTrue("\(error)".contains("annotation of a in cycle 2"), "\(error)")
        }
    }
}
