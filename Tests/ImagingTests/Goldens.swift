import Foundation
import Imaging
import TestSupport
import XCTest

/// The arrays written by scripts/goldens/imaging_goldens.py (scikit-image / scipy).
enum Goldens {
    nonisolated(unsafe) static let root: [String: Any] = {
        let url = TestPaths.repository.appendingPathComponent("Tests/Fixtures/imaging/goldens.json")
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func section(_ name: String) -> [String: Any] { root[name] as! [String: Any] }

    static func rows(_ value: Any?) -> [[Double]] {
        (value as! [[Any]]).map { $0.map { ($0 as! NSNumber).doubleValue } }
    }

    static func plane(_ value: Any?) -> Plane {
        let rows = rows(value)
        return try! Plane(width: rows[0].count, height: rows.count, storage: rows.flatMap { $0.map(Float.init) })
    }

    static func mask(_ value: Any?) -> Mask {
        let rows = rows(value)
        return try! Mask(width: rows[0].count, height: rows.count, storage: rows.flatMap { $0.map { $0 != 0 } })
    }

    static func labels(_ value: Any?) -> LabelMap {
        let rows = rows(value)
        return try! LabelMap(width: rows[0].count, height: rows.count, storage: rows.flatMap { $0.map { UInt32($0) } })
    }
}

func assertClose(_ actual: Plane, _ expected: Plane, accuracy: Float, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.width, expected.width, message, file: file, line: line)
    XCTAssertEqual(actual.height, expected.height, message, file: file, line: line)
    var worst: Float = 0
    for (a, b) in zip(actual.storage, expected.storage) { worst = max(worst, abs(a - b)) }
    XCTAssertLessThanOrEqual(worst, accuracy, "max |difference| \(worst) \(message)", file: file, line: line)
}

func describe(_ mask: Mask) -> String {
    (0..<mask.height).map { y in String((0..<mask.width).map { mask[$0, y] ? "#" : "." }) }.joined(separator: "\n")
}
