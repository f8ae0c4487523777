import Imaging
import XCTest
@testable import Interactive

final class BoundaryToleranceTests: XCTestCase {
    func testZeroToleranceIsTheStandardIoU() {
        let truth = square(5, 5, side: 8, in: 24), prediction = square(6, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 0)
        XCTAssertEqual(judge.intersectionOverUnion(prediction), intersectionOverUnion(prediction, truth), accuracy: 1e-12)
        var tolerant = judge.clicker(), strict = RobotClicker(groundTruth: truth)
        XCTAssertEqual(tolerant.nextClick(prediction: prediction), strict.nextClick(prediction: prediction))
    }

    func testBandIsOnePixelEitherSideOfTheOutline() throws {
        // 8×8 square: inner ring 28 px, outer ring (4-connected, disk of radius 1) 32 px.
        let judge = BoundaryTolerance(groundTruth: square(5, 5, side: 8, in: 24), pixels: 1)
        let band = try XCTUnwrap(judge.band)
        XCTAssertEqual(band.storage.filter { $0 }.count, 28 + 32)
        XCTAssertTrue(band[5, 5])   // inner corner
        XCTAssertTrue(band[4, 8])   // outside the left edge
        XCTAssertFalse(band[4, 4])  // diagonal to the corner: √2 px away
        XCTAssertFalse(band[6, 6])  // one pixel inside the ring
    }

    func testOutlinesWithinThePixelScoreAsExact() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        var widened = truth
        for y in 5..<13 { widened[4, y] = true } // one column more on the left
        for prediction in [square(6, 6, side: 6, in: 24), widened, square(6, 5, side: 8, in: 24)] {
            XCTAssertEqual(judge.intersectionOverUnion(prediction), 1)
            var clicker = judge.clicker()
            XCTAssertNil(clicker.nextClick(prediction: prediction), "no error outside the band to click")
        }
        // Two pixels off is not forgiven: the shifted square's far column is outside the band.
        XCTAssertLessThan(judge.intersectionOverUnion(square(7, 5, side: 8, in: 24)), 1)
    }

    func testEmptyPredictionScoresZeroAndEarnsAPositiveClickInside() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        let empty = Mask(width: 24, height: 24, repeating: false)
        XCTAssertEqual(judge.intersectionOverUnion(empty), 0)
        var clicker = judge.clicker()
        let click = clicker.nextClick(prediction: empty)
        XCTAssertEqual(click?.positive, true)
        if let click { XCTAssertEqual(judge.band?[click.x, click.y], false) }
    }

    func testFalsePositiveOutsideTheBandCounts() {
        let truth = square(5, 5, side: 8, in: 24)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: 1)
        var prediction = truth
        for y in 18..<22 { for x in 18..<22 { prediction[x, y] = true } } // a 4×4 blob far away
        // Outside the band: 36 interior truth pixels, plus the 16 false positives.
        XCTAssertEqual(judge.intersectionOverUnion(prediction), 36.0 / 52.0, accuracy: 1e-12)
        var clicker = judge.clicker()
        XCTAssertEqual(clicker.nextClick(prediction: prediction)?.positive, false)
    }
}
