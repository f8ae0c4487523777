import Clients
import Foundation
import Imaging
import Orchestrator
import TestSupport
import Wire
import XCTest

final class AnnotationCommandTests: XCTestCase {
    func testLinesParseToCommands() throws {
        XCTAssertEqual(try AnnotationCommand.parse("12,34"), .click(x: 12, y: 34, positive: true))
        XCTAssertEqual(try AnnotationCommand.parse(" 12 34 + "), .click(x: 12, y: 34, positive: true))
        XCTAssertEqual(try AnnotationCommand.parse("5,6,-"), .click(x: 5, y: 6, positive: false))
        XCTAssertEqual(try AnnotationCommand.parse("d 7,8"), .delete(x: 7, y: 8))
        XCTAssertEqual(try AnnotationCommand.parse("A"), .accept)
        XCTAssertEqual(try AnnotationCommand.parse("undo"), .undo)
        XCTAssertEqual(try AnnotationCommand.parse("done"), .done)
        XCTAssertEqual(try AnnotationCommand.parse("q"), .quit)
        XCTAssertNil(try AnnotationCommand.parse("   "))
    }

    func testBadLinesNameWhatIsWrong() {
        for line in ["hello", "1,2,3", "-4,5", "1,2,*", "d 1,2,+"] {
            XCTAssertThrowsError(try AnnotationCommand.parse(line), line) { error in
                XCTAssertTrue("\(error)".contains(line), "\(error)")
            }
        }
    }
}

/// A person's session replayed from a script against the stand-in model (5×5 squares).
final class PersonAnnotatorTests: SquareModelServiceTestCase {
    private func annotator(_ lines: [String], statuses: Lines) -> PersonAnnotator {
        let queue = Lines(lines)
        return PersonAnnotator(client: InteractiveClient(rpc: client), model: nil,
                               readLine: { queue.next() }, show: { _, status in statuses.append(status) })
    }

    func testCorrectingAProposalDeletesAddsAndKeepsTheRest() async throws {
        var proposal = LabelMap(width: 48, height: 48, repeating: 0)
        for y in 2..<8 { for x in 2..<8 { proposal[x, y] = 1 } }       // a false nucleus
        for y in 30..<36 { for x in 30..<36 { proposal[x, y] = 2 } }   // a good one
        let statuses = Lines([])
        let person = annotator(["d 4,4", "oops", "60,60", "a", "20,20", "a", "done"], statuses: statuses)
        let annotation = try await person.annotate(image: RGBImage(width: 48, height: 48), proposal: proposal)
        let result = try XCTUnwrap(annotation)

        XCTAssertEqual(result.nuclei, 2)
        XCTAssertEqual(result.labels[4, 4], 0, "the deleted proposal is gone")
        XCTAssertNotEqual(result.labels[32, 32], 0, "the kept proposal stays")
        XCTAssertNotEqual(result.labels[20, 20], 0, "the clicked nucleus was added")
        XCTAssertEqual(result.clicks.map { [$0.x, $0.y] }, [[20, 20]])
        let shown = statuses.all
        XCTAssertTrue(shown.contains { $0.contains("'oops'") }, "a bad line is answered, not fatal")
        XCTAssertTrue(shown.contains { $0.contains("outside the 48×48 crop") })
        XCTAssertTrue(shown.contains { $0.contains("nothing to accept") })
    }

    func testQuitSavesNothing() async throws {
        let statuses = Lines([])
        let result = try await annotator(["10,10", "q"], statuses: statuses).annotate(image: RGBImage(width: 32, height: 32), proposal: nil)
        XCTAssertNil(result)
    }
}

/// Lines to type, or lines shown, shared with the annotator's closures.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String]

    init(_ items: [String]) { self.items = items }

    func next() -> String? { lock.withLock { items.isEmpty ? nil : items.removeFirst() } }
    func append(_ line: String) { lock.withLock { items.append(line) } }
    var all: [String] { lock.withLock { items } }
}
