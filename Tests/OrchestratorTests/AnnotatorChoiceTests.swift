import Foundation
@testable import Orchestrator
import Project
import TestSupport
import XCTest

final class AnnotatorChoiceTests: XCTestCase {
    func testTheChoiceSurvivesReopeningAndCanChange() throws {
        let path = TestPaths.temporaryDirectory("annotator-choice").appendingPathComponent("p.sqlite").path
        XCTAssertNil(try AnnotatorChoice.stored(in: try ProjectStore(path: path)), "a new project remembers nobody")
        try AnnotatorChoice.person(name: "Ada Lovelace: pathology").remember(in: try ProjectStore(path: path))
        XCTAssertEqual(try AnnotatorChoice.stored(in: try ProjectStore(path: path)), .person(name: "Ada Lovelace: pathology"))
        try AnnotatorChoice.simulated.remember(in: try ProjectStore(path: path))
        XCTAssertEqual(try AnnotatorChoice.stored(in: try ProjectStore(path: path)), .simulated)
    }
}
