import Imaging
import XCTest
@testable import Interactive

final class BoundaryToleranceTests: XCTestCase {
    func testZeroToleranceIsTheStandardIoU() {
        let truth = square(5, 5, side: 8, in: 24), prediction = square(6, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 0)
        XCTAssertEqual(judge.intersectionOverUnion(prediction), intersectionOverUnion(prediction, truth), accuracy: 1e-12)
        XCTAssertEqual(judge.judged(prediction), prediction)
    }

    func testBandIsOnePixelEitherSideOfTheOutline() {
        // 8×8 square: inner ring 28 px, outer ring (4-connected, disk of radius 1) 32 px.
        let judge = BoundaryTolerance(groundTruth: square(5, 5, side: 8, in: 24), pixels: 1)
        XCTAssertEqual(judge.band.storage.filter { $0 }.count, 28 + 32)
        XCTAssertTrue(judge.band[5, 5])   // inner corner
        XCTAssertTrue(judge.band[4, 8])   // outside the left edge
        XCTAssertFalse(judge.band[4, 4])  // diagonal to the corner: √2 px away
        XCTAssertFalse(judge.band[6, 6])  // one pixel inside the ring
    }

    func testOutlinesWithinThePixelScoreAsExact() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        var widened = truth
        for y in 5..<13 { widened[4, y] = true } // one column more on the left
        for prediction in [square(6, 6, side: 6, in: 24), widened, square(6, 5, side: 8, in: 24)] {
            XCTAssertEqual(judge.intersectionOverUnion(prediction), 1)
            var clicker = RobotClicker(groundTruth: truth)
            XCTAssertNil(clicker.nextClick(prediction: judge.judged(prediction)), "no error outside the band to click")
        }
        // Two pixels off is not forgiven: the shifted square's far column is outside the band.
        XCTAssertLessThan(judge.intersectionOverUnion(square(7, 5, side: 8, in: 24)), 1)
    }

    func testEmptyPredictionScoresZeroAndEarnsAPositiveClickInside() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        let empty = Mask(width: 24, height: 24, repeating: false)
        XCTAssertEqual(judge.intersectionOverUnion(empty), 0)
        var clicker = RobotClicker(groundTruth: truth)
        let click = clicker.nextClick(prediction: judge.judged(empty))
        XCTAssertEqual(click?.positive, true)
        if let click { XCTAssertFalse(judge.band[click.x, click.y]) }
    }

    func testFalsePositiveOutsideTheBandCounts() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        var prediction = truth
        for y in 18..<22 { for x in 18..<22 { prediction[x, y] = true } } // a 4×4 blob far away
        // Outside the band: 36 interior truth pixels, plus the 16 false positives.
        XCTAssertEqual(judge.intersectionOverUnion(prediction), 36.0 / 52.0, accuracy: 1e-12)
        var clicker = RobotClicker(groundTruth: truth)
        XCTAssertEqual(clicker.nextClick(prediction: judge.judged(prediction))?.positive, false)
    }
}
