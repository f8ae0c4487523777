import ArgumentParser

/// The comma-separated numbers of list options (`--edge 0.4,0.5`, `--loss-weights 1,1,2,1`).
enum NumberList {
    /// Non-negative numbers; anything else fails validation naming the option.
    static func parse(_ list: String, option: String) throws -> [Float] {
        let values = list.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw ValidationError("\(option): '\(list)' is not a comma-separated list of numbers ≥ 0")
        }
        return values.map { $0! }
    }

    /// Exactly `count` non-negative numbers.
    static func parse(_ list: String, option: String, count: Int) throws -> [Float] {
        let values = try parse(list, option: option)
        guard values.count == count else { throw ValidationError("\(option): expected \(count) numbers, got '\(list)'") }
        return values
    }
}
