import Foundation
import Imaging
@testable import Metrics
import TestSupport
import XCTest

/// Every golden case of the community reference, to 1e-6.
final class GoldenCaseTests: XCTestCase {
    static let keys = ["dice1", "dice2", "aji", "aji_plus", "dq", "sq", "pq"]

    static func value(_ scores: SegmentationScores, _ key: String) -> Double {
        switch key {
        case "dice1": scores.dice1
        case "dice2": scores.dice2
        case "aji": scores.aji
        case "aji_plus": scores.ajiPlus
        case "dq": scores.dq
        case "sq": scores.sq
        default: scores.pq
        }
    }

    func testEveryGoldenCaseMatchesTheReference() throws {
        let root = TestPaths.metricFixtures
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { !$0.hasSuffix(".md") }.sorted()
        XCTAssertGreaterThanOrEqual(cases.count, 13)
        for name in cases {
            let folder = root.appendingPathComponent(name)
            let gt = try ImageFiles.readLabelMap(folder.appendingPathComponent("gt.png"))
            let pred = try ImageFiles.readLabelMap(folder.appendingPathComponent("pred.png"))
            let expected = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: Any])
            let scores = try SegmentationMetrics.evaluate(groundTruth: gt, prediction: pred)
            for key in Self.keys {
                let want = try XCTUnwrap(expected[key] as? Double, "\(name) \(key)")
                XCTAssertEqual(Self.value(scores, key), want, accuracy: 1e-6, "\(name): \(key)")
            }
            if let nGT = expected["n_gt"] as? Int { XCTAssertEqual(scores.groundTruthCount, nGT, name) }
            if let nPred = expected["n_pred"] as? Int { XCTAssertEqual(scores.predictionCount, nPred, name) }
        }
    }

    func testScoresDoNotDependOnLabelValuesOrder() throws {
        let folder = TestPaths.metricFixtures.appendingPathComponent("monuseg_crop_1")
        let gt = try ImageFiles.readLabelMap(folder.appendingPathComponent("gt.png"))
        var pred = try ImageFiles.readLabelMap(folder.appendingPathComponent("pred.png"))
        let original = try SegmentationMetrics.evaluate(groundTruth: gt, prediction: pred)
        // A monotone relabelling keeps the reference's tie-breaking order.
        for index in pred.storage.indices where pred.storage[index] != 0 {
            pred.storage[index] = pred.storage[index] * 3 + 1_000_000
        }
        let relabelled = try SegmentationMetrics.evaluate(groundTruth: gt, prediction: pred)
        XCTAssertEqual(original, relabelled)
    }

    func testImageWithNeitherNucleiNorPredictionsIsUnscored() throws {
        let empty = LabelMap(width: 8, height: 8, repeating: 0)
        let scores = try SegmentationMetrics.evaluate(groundTruth: empty, prediction: empty)
        XCTAssertFalse(scores.scored)
        var one = empty
        one[2, 2] = 5
        XCTAssertEqual(SegmentationScores.mean([scores, try SegmentationMetrics.evaluate(groundTruth: one, prediction: one)])?.pq ?? 0,
                       1 / (1 + 1e-6), accuracy: 1e-9)
    }

    func testDifferentSizesAreAnError() {
        XCTAssertThrowsError(try SegmentationMetrics.evaluate(groundTruth: LabelMap(width: 4, height: 4, repeating: 0),
                                                              prediction: LabelMap(width: 4, height: 5, repeating: 0))) { error in
            XCTAssertTrue("\(error)".contains("4×5"))
        }
    }
}

/// The assignment against exhaustive search on small random matrices.
final class AssignmentTests: XCTestCase {
    func testMatchesBruteForceOnRandomMatrices() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let rows = Int.random(in: 1...5, using: &generator)
            let columns = Int.random(in: 1...5, using: &generator)
            let weights = (0..<rows).map { _ in
                (0..<columns).map { _ in Bool.random(using: &generator) ? Double.random(in: 0...1, using: &generator) : 0 }
            }
            let pairs = Assignment.maximumWeight(weights)
            XCTAssertEqual(pairs.count, min(rows, columns))
            XCTAssertEqual(Set(pairs.map(\.row)).count, pairs.count)
            XCTAssertEqual(Set(pairs.map(\.column)).count, pairs.count)
            let total = pairs.reduce(0) { $0 + weights[$1.row][$1.column] }
            XCTAssertEqual(total, bruteForce(weights), accuracy: 1e-12)
        }
    }

    private func bruteForce(_ weights: [[Double]]) -> Double {
        let rows = weights.count, columns = weights[0].count
        var best = 0.0
        func search(_ row: Int, _ used: Set<Int>, _ total: Double) {
            if row == rows { best = max(best, total); return }
            search(row + 1, used, total)  // row unassigned (only optimal when rows > columns)
            for column in 0..<columns where !used.contains(column) {
                search(row + 1, used.union([column]), total + weights[row][column])
            }
        }
        search(0, [], 0)
        return best
    }
}
