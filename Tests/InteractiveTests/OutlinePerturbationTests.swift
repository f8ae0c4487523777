import Imaging
import XCTest
@testable import Interactive

final class OutlinePerturbationTests: XCTestCase {
    private func disk(radius: Int, size: Int = 21) -> Mask {
        var mask = Mask(width: size, height: size, repeating: false)
        let c = size / 2
        for y in 0..<size { for x in 0..<size where (x - c) * (x - c) + (y - c) * (y - c) <= radius * radius { mask[x, y] = true } }
        return mask
    }

    private func count(_ mask: Mask) -> Int { mask.storage.filter { $0 }.count }

    func testShiftMovesEveryPixelAndDropsWhatLeaves() {
        var mask = Mask(width: 4, height: 3, repeating: false)
        mask[0, 0] = true
        mask[3, 2] = true
        let moved = OutlinePerturbation.shifted(mask, dx: 1, dy: 1)
        XCTAssertTrue(moved[1, 1])
        XCTAssertEqual(count(moved), 1, "the pixel moved past the corner is gone")
    }

    func testPerturbedOutlinesStayWithinTwoPixelsOfTheNucleus() {
        let truth = disk(radius: 6)
        let near = Morphology.dilate(truth, .square(radius: 2))
        let core = Morphology.erode(truth, .square(radius: 2))
        var generator = SeededRandom(seed: 3)
        var grown = 0, shrunk = 0
        for _ in 0..<60 {
            let moved = OutlinePerturbation.random(truth, using: &generator)
            XCTAssertNotEqual(moved, truth, "a perturbation changes the outline")
            for i in truth.storage.indices {
                if moved.storage[i] { XCTAssertTrue(near.storage[i], "grown or moved by at most 2 px each way") }
                if core.storage[i] { XCTAssertTrue(moved.storage[i], "shrunk or moved by at most 2 px each way") }
            }
            if count(moved) > count(truth) { grown += 1 }
            if count(moved) < count(truth) { shrunk += 1 }
        }
        XCTAssertGreaterThan(grown, 0)
        XCTAssertGreaterThan(shrunk, 0)
    }

    func testATinyNucleusIsGrownRatherThanErasedAndDrawsRepeat() {
        var dot = Mask(width: 9, height: 9, repeating: false)
        dot[4, 4] = true
        var a = SeededRandom(seed: 8), b = SeededRandom(seed: 8)
        for _ in 0..<30 {
            let moved = OutlinePerturbation.random(dot, using: &a)
            XCTAssertGreaterThan(count(moved), 0, "never an empty previous mask")
            XCTAssertEqual(moved, OutlinePerturbation.random(dot, using: &b), "seeded draws repeat")
        }
    }
}
