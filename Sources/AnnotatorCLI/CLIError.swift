import ArgumentParser
import Foundation

/// Errors the CLI reports to the user, with the thing that was wrong named.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Prints machine-readable output: one JSON object.
enum JSONOutput {
    /// The JSON this tool prints: sorted keys, indented.
    static func encoded<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }

    static func print<Value: Encodable>(_ value: Value) throws {
        let data = try encoded(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

/// Progress and notices go to standard error so standard output stays parseable.
enum Console {
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }
}
