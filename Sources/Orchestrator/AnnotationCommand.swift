import Foundation

/// One line a person types while annotating a crop at the terminal.
public enum AnnotationCommand: Equatable, Sendable {
    /// A click on the current nucleus (a new one starts with the first positive click).
    case click(x: Int, y: Int, positive: Bool)
    /// One click inside each of several new nuclei: all segmented at once (multi-nucleus
    /// mode), each against the others' clicks, and added to the map.
    case points([Spot])
    case undo
    /// Keep the current nucleus in the map.
    case accept
    /// Drop the current nucleus's clicks.
    case reset
    /// Remove the nucleus under (x, y) from the map (e.g. a wrong proposal).
    case delete(x: Int, y: Int)
    /// Save the map and finish the crop.
    case done
    /// Leave without saving.
    case quit
    case help

    /// A pixel of the crop.
    public struct Spot: Equatable, Sendable {
        public var x: Int
        public var y: Int

        public init(x: Int, y: Int) {
            self.x = x
            self.y = y
        }
    }

    public static let usage = """
        x,y[,+]   positive click on the current nucleus (the first one starts a nucleus)
        x,y,-     negative click (this is not part of the nucleus)
        p x,y x,y ...  one click in each of several new nuclei: all added at once
        a         accept the current nucleus into the map
        u         undo the last click        r   reset the current nucleus
        d x,y     delete the nucleus under x,y from the map
        done      save the map and finish    q   quit without saving
        """

    /// Parses a line; nil for an empty line.
    public static func parse(_ line: String) throws(AnnotationCommandError) -> AnnotationCommand? {
        let text = line.trimmingCharacters(in: .whitespaces).lowercased()
        if text.isEmpty { return nil }
        switch text {
        case "u", "undo": return .undo
        case "a", "accept", "n", "next": return .accept
        case "r", "reset": return .reset
        case "done", "save": return .done
        case "q", "quit": return .quit
        case "h", "help", "?": return .help
        default: break
        }
        if text.hasPrefix("p ") || text.hasPrefix("points ") {
            let tokens = text.split(separator: " ").dropFirst().map(String.init)
            guard !tokens.isEmpty else { throw .invalid(line: line, reason: "points takes x,y pairs, e.g. p 10,20 35,40") }
            var spots: [Spot] = []
            for token in tokens {
                guard token.contains(",") else { throw .invalid(line: line, reason: "write each point as x,y (e.g. p 10,20 35,40)") }
                let point = try coordinates(token, line: line)
                guard point.sign == nil else { throw .invalid(line: line, reason: "points are positive clicks: x,y without a sign") }
                spots.append(Spot(x: point.x, y: point.y))
            }
            return .points(spots)
        }
        if text.hasPrefix("d ") || text.hasPrefix("delete ") {
            let point = try coordinates(String(text.drop(while: { $0 != " " }).dropFirst()), line: line)
            guard point.sign == nil else { throw .invalid(line: line, reason: "delete takes x,y without a sign") }
            return .delete(x: point.x, y: point.y)
        }
        let point = try coordinates(text, line: line)
        return .click(x: point.x, y: point.y, positive: point.sign != "-")
    }

    private static func coordinates(_ text: String, line: String) throws(AnnotationCommandError) -> (x: Int, y: Int, sign: String?) {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        guard parts.count == 2 || parts.count == 3, let x = Int(parts[0]), let y = Int(parts[1]) else {
            throw .invalid(line: line, reason: "expected x,y or x,y,+ or x,y,- (type help)")
        }
        guard x >= 0, y >= 0 else { throw .invalid(line: line, reason: "coordinates are pixels from the top-left corner, ≥ 0") }
        if parts.count == 3 {
            guard parts[2] == "+" || parts[2] == "-" else { throw .invalid(line: line, reason: "the sign is + or -") }
            return (x, y, parts[2])
        }
        return (x, y, nil)
    }
}

public enum AnnotationCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(line: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(line, reason): "'\(line)': \(reason)"
        }
    }
}
