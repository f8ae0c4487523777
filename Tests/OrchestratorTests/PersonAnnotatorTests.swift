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
        XCTAssertEqual(try AnnotationCommand.parse("p 10,20  35,40"), .points([.init(x: 10, y: 20), .init(x: 35, y: 40)]))
        XCTAssertEqual(try AnnotationCommand.parse("points 3,4"), .points([.init(x: 3, y: 4)]))
        XCTAssertNil(try AnnotationCommand.parse("   "))
    }

    func testBadLinesNameWhatIsWrong() {
        for line in ["hello", "1,2,3", "-4,5", "1,2,*", "d 1,2,+", "p 10 20", "p 1,2,-", "p 1,2 x,y"] {
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

    func testPointsAddManyNucleiAtOnceWithoutOverwritingTheMap() async throws {
        var proposal = LabelMap(width: 48, height: 48, repeating: 0)
        for y in 6..<14 { for x in 6..<14 { proposal[x, y] = 1 } }
        let statuses = Lines([])
        // The third point lands on the proposal's nucleus: nothing of it is free, so it adds none.
        let person = annotator(["20,20", "p 30,30 40,8", "r", "p 30,30 40,8 10,10", "p 60,1", "done"], statuses: statuses)
        let annotation = try await person.annotate(image: RGBImage(width: 48, height: 48), proposal: proposal)
        let result = try XCTUnwrap(annotation)

        XCTAssertEqual(result.nuclei, 3)
        XCTAssertEqual(result.labels.storage.filter { $0 == result.labels[6, 6] }.count, 64, "the proposal's nucleus keeps its pixels")
        XCTAssertNotEqual(result.labels[30, 30], 0)
        XCTAssertNotEqual(result.labels[40, 8], 0)
        XCTAssertNotEqual(result.labels[30, 30], result.labels[40, 8])
        XCTAssertEqual(result.labels[20, 20], 0, "the reset nucleus was not kept")
        XCTAssertEqual(result.clicks.map { [$0.x, $0.y] }, [[20, 20], [30, 30], [40, 8], [10, 10]])
        let shown = statuses.all
        XCTAssertTrue(shown.contains { $0.contains("accept (a) or reset (r) the current nucleus first") })
        XCTAssertTrue(shown.contains { $0.contains("2 of 3 nuclei added") })
        XCTAssertTrue(shown.contains { $0.contains("(60, 1) is outside the 48×48 crop") })
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
