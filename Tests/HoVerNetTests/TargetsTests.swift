import Imaging
import XCTest
@testable import HoVerNet

final class TargetsTests: XCTestCase {
    /// A 7×7 square at x, y ∈ 10...16: centre of mass 13, so the reference's offsets are
    /// c + 1 − 13 = −2...4, normalised per sign to −1, −0.5, 0, 0.25, 0.5, 0.75, 1.
    func testSquareHasKnownOffsets() {
        var labels = LabelMap(width: 24, height: 24, repeating: 0)
        for y in 10...16 { for x in 10...16 { labels[x, y] = 5 } }
        let (h, v) = HoVerTargets.hvMaps(labels)
        let expected: [Float] = [-1, -0.5, 0, 0.25, 0.5, 0.75, 1]
        for (offset, value) in expected.enumerated() {
            XCTAssertEqual(h[10 + offset, 13], value, accuracy: 1e-6)
            XCTAssertEqual(v[12, 10 + offset], value, accuracy: 1e-6)
        }
        XCTAssertEqual(h[5, 5], 0)
        XCTAssertEqual(v[16, 16], 1)
    }

    func testSmallInstancesGetNoHVButStayNuclear() {
        var labels = LabelMap(width: 16, height: 16, repeating: 0)
        for y in 2...6 { for x in 2...6 { labels[x, y] = 1 } }   // 25 px < 30
        let targets = LabelMapTargets(labels)
        XCTAssertTrue(targets.horizontal.storage.allSatisfy { $0 == 0 })
        XCTAssertTrue(targets.vertical.storage.allSatisfy { $0 == 0 })
        XCTAssertEqual(targets.np.storage.filter { $0 }.count, 25)
        XCTAssertFalse(LabelMapTargets(labels, minimumArea: 25).horizontal.storage.allSatisfy { $0 == 0 })
    }

    func testEmptyLabelMap() {
        let targets = LabelMapTargets(LabelMap(width: 9, height: 7, repeating: 0))
        XCTAssertTrue(targets.np.storage.allSatisfy { !$0 })
        XCTAssertTrue(targets.horizontal.storage.allSatisfy { $0 == 0 })
        let none = LabelMapTargets(LabelMap(width: 0, height: 0, repeating: 0))
        XCTAssertEqual(none.width, 0)
    }

    /// Against hover_net's gen_instance_hv_map (NumPy port in make_goldens.py).
    func testMatchesReferenceGolden() throws {
        let object = try golden("targets")
        let width = try XCTUnwrap(object["width"] as? Int), height = try XCTUnwrap(object["height"] as? Int)
        let values = try XCTUnwrap(object["labels"] as? [Int]).map { UInt32($0) }
        let labels = try LabelMap(width: width, height: height, storage: values)
        let (h, v) = HoVerTargets.hvMaps(labels)
        let expectedH = try floats(object, "horizontal"), expectedV = try floats(object, "vertical")
        for i in 0..<labels.count {
            XCTAssertEqual(h.storage[i], expectedH[i], accuracy: 1e-6, "horizontal at \(i % width), \(i / width)")
            XCTAssertEqual(v.storage[i], expectedV[i], accuracy: 1e-6, "vertical at \(i % width), \(i / width)")
        }
    }
}
