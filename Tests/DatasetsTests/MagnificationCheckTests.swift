import Datasets
import Imaging
import XCTest

final class MagnificationCheckTests: XCTestCase {
    func testMoNuSegSizedNucleiMatchAndHalfSizedOnesAskForTwiceTheScale() throws {
        XCTAssertTrue(MagnificationCheck(medianArea: 294).matches)
        XCTAssertTrue(MagnificationCheck(medianArea: 404).matches)
        // A 20× scan: a quarter of the area, twice the side to make up.
        let twenty = MagnificationCheck(medianArea: 345 / 4)
        XCTAssertFalse(twenty.matches)
        XCTAssertEqual(twenty.scale, 2, accuracy: 0.01)
        XCTAssertEqual(MagnificationCheck(medianArea: 345 * 4).scale, 0.5, accuracy: 0.01)
    }

    func testAreasAreCountedPerInstanceAndTheMedianTaken() throws {
        var labels = LabelMap(width: 6, height: 4, repeating: 0)
        for x in 0..<3 { labels[x, 0] = 2 }
        labels[5, 3] = 9
        for y in 1..<4 { for x in 0..<3 { labels[x, y] = 4 } }
        XCTAssertEqual(MagnificationCheck.areas(of: labels).sorted(), [1, 3, 9])
        XCTAssertEqual(MagnificationCheck(areas: [1, 3, 9])?.medianArea, 3)
        XCTAssertNil(MagnificationCheck(areas: []))
    }
}
