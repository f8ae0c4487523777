import Imaging
import XCTest
@testable import Interactive

final class ClickTests: XCTestCase {
    func testDiskEncodingSeparatesPolarities() {
        let maps = ClickMaps.encode([(u: 5, v: 5, positive: true), (u: 15, v: 2, positive: false)], size: 20, radius: 2, encoding: .disk)
        // A radius-2 disk on the pixel grid has 13 pixels.
        XCTAssertEqual(maps.positive.filter { $0 == 1 }.count, 13)
        XCTAssertEqual(maps.positive[5 * 20 + 5], 1)
        XCTAssertEqual(maps.positive[5 * 20 + 8], 0)
        XCTAssertEqual(maps.negative[2 * 20 + 15], 1)
        XCTAssertEqual(maps.negative[5 * 20 + 5], 0)
    }

    func testDiskClippedAtTheBorder() {
        let maps = ClickMaps.encode([(u: 0, v: 0, positive: true)], size: 8, radius: 1, encoding: .disk)
        XCTAssertEqual(maps.positive.filter { $0 == 1 }.count, 3)
    }

    func testDistanceEncodingDecays() {
        let maps = ClickMaps.encode([(u: 10, v: 10, positive: true)], size: 30, radius: 2, encoding: .distance)
        XCTAssertEqual(maps.positive[10 * 30 + 10], 1)
        XCTAssertGreaterThan(maps.positive[10 * 30 + 12], maps.positive[10 * 30 + 15])
        XCTAssertEqual(maps.positive[10 * 30 + 19], 0)
    }

    func testGuidanceInterleavesClicksAndPreviousMask() {
        var configuration = InteractiveModelConfiguration()
        configuration.inputSize = 16
        configuration.clickRadius = 1
        let input = NetworkInput(configuration: configuration)
        let previous = [Float](repeating: 0.25, count: 256)
        let guidance = input.guidance(points: [(u: 3, v: 4, positive: true), (u: 10, v: 10, positive: false)], previous: previous)
        XCTAssertEqual(guidance.count, 16 * 16 * 3)
        XCTAssertEqual(guidance[(4 * 16 + 3) * 3], 1)
        XCTAssertEqual(guidance[(4 * 16 + 3) * 3 + 1], 0)
        XCTAssertEqual(guidance[(10 * 16 + 10) * 3 + 1], 1)
        XCTAssertEqual(guidance[7 * 3 + 2], 0.25)
    }

    func testZoomWindowCoordinatesRoundTrip() {
        let window = ZoomWindow(x: 10, y: 20, size: 32, outputSize: 64)
        let p = window.toNetwork(x: 10, y: 20)
        XCTAssertEqual(p.u, 0.5, accuracy: 1e-9)
        XCTAssertEqual(p.v, 0.5, accuracy: 1e-9)
        let back = window.toImage(u: 33, v: 7)
        let again = window.toNetwork(x: back.x, y: back.y)
        XCTAssertEqual(again.u, 33, accuracy: 1e-9)
        XCTAssertEqual(again.v, 7, accuracy: 1e-9)
    }

    func testZoomWindowAtScaleOneCopiesPixels() throws {
        var pixels = [UInt8](repeating: 0, count: 8 * 8 * 3)
        for i in 0..<64 { pixels[i * 3] = UInt8(i) }
        let image = try RGBImage(width: 8, height: 8, pixels: pixels)
        let window = ZoomWindow(x: 2, y: 1, size: 4, outputSize: 4)
        let crop = window.sample(image, mean: [0, 0, 0], std: [1 / 255, 1, 1])
        XCTAssertEqual(crop[0], Float(1 * 8 + 2), accuracy: 1e-4)
        XCTAssertEqual(crop[(3 * 4 + 3) * 3], Float(4 * 8 + 5), accuracy: 1e-4)
    }
}
