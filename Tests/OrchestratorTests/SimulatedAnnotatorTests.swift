import Clients
import Foundation
import Imaging
@testable import Orchestrator
import TestSupport
import Wire
import XCTest

/// The simulated annotator against a stand-in interactive service whose "model" answers
/// every positive click with a 5×5 square: whatever the annotator returns must be made of
/// those squares, never of the ground truth it reads to place clicks.
final class SimulatedAnnotatorTests: SquareModelServiceTestCase {
    /// Plus-shaped nuclei (arms 3 px wide, 13 px long): a 5×5 square never reaches IoU 0.85.
    private func crossesGroundTruth() -> (RGBImage, LabelMap, [(x: Int, y: Int)]) {
        let centres = [(x: 12, y: 12), (x: 40, y: 14), (x: 20, y: 44), (x: 50, y: 48)]
        var labels = LabelMap(width: 64, height: 64, repeating: 0)
        for (index, centre) in centres.enumerated() {
            for d in -6...6 {
                for w in -1...1 {
                    labels[centre.x + d, centre.y + w] = UInt32(40_000 + index)
                    labels[centre.x + w, centre.y + d] = UInt32(40_000 + index)
                }
            }
        }
        return (RGBImage(width: 64, height: 64, fill: (200, 160, 210)), labels, centres)
    }

    func testMasksAreTheModelsPredictionsAndClicksStayWithinTheBudget() async throws {
        let (image, truth, centres) = crossesGroundTruth()
        let annotator = SimulatedAnnotator(client: InteractiveClient(rpc: client), model: nil, clicksPerNucleus: 2)
        let result = try await annotator.annotate(image: image, groundTruth: truth)

        XCTAssertEqual(result.nuclei, 4)
        XCTAssertEqual(result.clicks.count, 8, "every nucleus misses IoU 0.85 with one square, so each gets its 2 clicks")
        for nucleus in 0..<4 {
            let clicks = result.clicks.filter { $0.nucleus == nucleus }
            XCTAssertLessThanOrEqual(clicks.count, 2)
            XCTAssertEqual(clicks.first.map { [$0.x, $0.y] }, [centres[nucleus].x, centres[nucleus].y],
                           "the first click is the point farthest from the nucleus boundary")
        }
        // Every labelled pixel lies in a square the stand-in model drew around a click…
        for y in 0..<64 {
            for x in 0..<64 where result.labels[x, y] != 0 {
                XCTAssertTrue(result.clicks.contains { $0.positive && abs($0.x - x) <= 2 && abs($0.y - y) <= 2 },
                              "pixel (\(x), \(y)) is labelled but no predicted square covers it")
            }
        }
        // …so ground-truth pixels no predicted square covers are never labelled, and no
        // ground-truth label value is carried over.
        var uncovered = 0
        for y in 0..<64 {
            for x in 0..<64 where truth[x, y] != 0
                && !result.clicks.contains(where: { $0.positive && abs($0.x - x) <= 2 && abs($0.y - y) <= 2 }) {
                uncovered += 1
                XCTAssertEqual(result.labels[x, y], 0, "(\(x), \(y)) is only in the ground truth")
            }
        }
        XCTAssertGreaterThan(uncovered, 0, "the crosses are larger than two squares")
        XCTAssertTrue(result.labels.storage.allSatisfy { $0 <= 4 })
    }

    func testOneClickPerNucleusWhenTheBudgetIsOne() async throws {
        let (image, truth, _) = crossesGroundTruth()
        let annotator = SimulatedAnnotator(client: InteractiveClient(rpc: client), model: nil, clicksPerNucleus: 1)
        let result = try await annotator.annotate(image: image, groundTruth: truth)
        XCTAssertEqual(result.clicks.count, 4)
        XCTAssertEqual(result.nuclei, 4)
    }

    func testACropWithoutNucleiNeedsNoClick() async throws {
        let annotator = SimulatedAnnotator(client: InteractiveClient(rpc: client), model: nil, clicksPerNucleus: 2)
        let result = try await annotator.annotate(image: RGBImage(width: 32, height: 32),
                                                  groundTruth: LabelMap(width: 32, height: 32, repeating: 0))
        XCTAssertEqual(result.clicks.count, 0)
        XCTAssertEqual(result.nuclei, 0)
    }
}

