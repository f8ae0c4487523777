import Imaging
import XCTest
@testable import Interactive

final class RobotClickerTests: XCTestCase {
    func testFirstClickIsTheCentreOfASquare() {
        var clicker = RobotClicker(groundTruth: square(10, 10, side: 9, in: 30))
        let click = clicker.nextClick(prediction: Mask(width: 30, height: 30, repeating: false))
        XCTAssertEqual(click, Click(x: 14, y: 14, positive: true))
    }

    func testImageBorderCountsAsBoundary() {
        // A square touching the left edge: the padded transform puts the click at the centre of
        // the square, not further left.
        var clicker = RobotClicker(groundTruth: square(0, 5, side: 7, in: 20))
        XCTAssertEqual(clicker.nextClick(prediction: Mask(width: 20, height: 20, repeating: false)), Click(x: 3, y: 8, positive: true))
    }

    func testLargerFalsePositiveRegionEarnsANegativeClick() {
        let truth = square(2, 2, side: 5, in: 30)
        var prediction = truth
        prediction[2, 2] = false // a 1-px false negative
        for y in 15..<26 { for x in 15..<26 { prediction[x, y] = true } } // an 11×11 false positive
        var clicker = RobotClicker(groundTruth: truth)
        XCTAssertEqual(clicker.nextClick(prediction: prediction), Click(x: 20, y: 20, positive: false))
    }

    func testLargerFalseNegativeRegionEarnsAPositiveClick() {
        let truth = square(4, 4, side: 15, in: 30)
        var prediction = square(4, 4, side: 15, in: 30)
        for y in 4..<19 { for x in 11..<19 { prediction[x, y] = false } } // right part missed
        prediction[25, 25] = true
        var clicker = RobotClicker(groundTruth: truth)
        let click = clicker.nextClick(prediction: prediction)
        XCTAssertEqual(click?.positive, true)
        // Farthest from the missed region's boundary: 4 px from its left and right edges.
        XCTAssertEqual(click, Click(x: 14, y: 7, positive: true))
    }

    func testNoClickWhenPerfectAndNoRepeatedClicks() {
        let truth = square(3, 3, side: 3, in: 10)
        var clicker = RobotClicker(groundTruth: truth)
        XCTAssertNil(clicker.nextClick(prediction: truth))
        let empty = Mask(width: 10, height: 10, repeating: false)
        let first = clicker.nextClick(prediction: empty)
        let second = clicker.nextClick(prediction: empty)
        XCTAssertEqual(first, Click(x: 4, y: 4, positive: true))
        XCTAssertNotEqual(first, second)
    }

    func testIoU() {
        let a = square(0, 0, side: 4, in: 8), b = square(2, 0, side: 4, in: 8)
        XCTAssertEqual(intersectionOverUnion(a, b), 8.0 / 24.0, accuracy: 1e-12)
        XCTAssertEqual(intersectionOverUnion(a, a), 1)
    }
}
