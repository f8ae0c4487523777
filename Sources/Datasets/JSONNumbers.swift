import Foundation

/// Numbers out of `JSONSerialization` values, for the outline-file readers.
enum JSONNumbers {
    /// A finite number, or nil.
    static func double(_ value: Any?) -> Double? {
        (value as? NSNumber).map(\.doubleValue).flatMap { $0.isFinite ? $0 : nil }
    }

    /// A whole number, or nil.
    static func integer(_ value: Any?) -> Int? {
        guard let number = double(value), number == number.rounded() else { return nil }
        return Int(exactly: number)
    }
}
