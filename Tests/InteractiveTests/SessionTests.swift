import Imaging
import XCTest
@testable import Interactive

final class SessionTests: XCTestCase {
    private func session(refocus: Bool = false) throws -> InteractiveSession {
        var options = PredictorOptions()
        options.firstClickWindow = 24
        options.minimumWindow = 16
        options.refocus = refocus
        let predictor = InteractivePredictor(network: InteractiveNetwork(configuration: tinyConfiguration(), seed: 1), options: options)
        return InteractiveSession(image: try syntheticPair(centres: [(16, 16, 7), (44, 40, 9)]).image, predictor: predictor)
    }

    func testClickUndoRedoAndFinish() throws {
        let session = try session()
        XCTAssertThrowsError(try session.undo()) { XCTAssertEqual($0 as? InteractiveError, .nothingToUndo) }
        XCTAssertThrowsError(try session.click(Click(x: 64, y: 3, positive: true))) {
            XCTAssertEqual($0 as? InteractiveError, .clickOutsideImage(x: 64, y: 3, width: 64, height: 64))
        }
        let first = try session.click(Click(x: 16, y: 16, positive: true))
        XCTAssertEqual(first.window, ZoomWindow(x: 4, y: 4, size: 24, outputSize: 32))
        let afterFirst = session.currentProbabilities
        try session.click(Click(x: 20, y: 16, positive: false))
        XCTAssertEqual(session.clicks.count, 2)
        try session.undo()
        XCTAssertEqual(session.clicks, [Click(x: 16, y: 16, positive: true)])
        XCTAssertEqual(session.currentProbabilities, afterFirst)
        try session.redo()
        XCTAssertEqual(session.clicks.count, 2)
        XCTAssertThrowsError(try session.redo()) { XCTAssertEqual($0 as? InteractiveError, .nothingToRedo) }

        // Force a non-empty mask so that finishing commits a nucleus.
        let map = session.finish()
        XCTAssertEqual(map.width, 64)
        XCTAssertTrue(session.clicks.isEmpty)
        XCTAssertFalse(session.canUndo)
    }

    /// With refocus, one click predicts in the window the plain first prediction's mask calls
    /// for, and stays one step of the undo history.
    func testRefocusPredictsInTheWindowTheFirstMaskCallsFor() throws {
        let click = Click(x: 44, y: 40, positive: true)
        let plain = try session()
        let first = try plain.click(click)
        let framed = InteractiveSession.ObjectState(clicks: [click], probabilities: plain.currentProbabilities, window: first.window)
        let expected = plain.chooseWindow(clicks: [click], previous: framed)
        XCTAssertNotEqual(expected, first.window, "the test needs a mask that calls for another window")

        let refocused = try session(refocus: true)
        let outcome = try refocused.click(click)
        XCTAssertEqual(outcome.window, expected)
        try refocused.undo()
        XCTAssertTrue(refocused.currentProbabilities.isEmpty)
        XCTAssertFalse(refocused.canUndo)
    }

    func testEditTakesANucleusBackAsTheCurrentObject() throws {
        let session = try session()
        try session.click(Click(x: 44, y: 40, positive: true))
        if let id = session.finishObject() {
            try session.edit(instance: id)
            XCTAssertFalse(session.instances.storage.contains(id))
            XCTAssertFalse(session.currentProbabilities.isEmpty)
        }
        XCTAssertThrowsError(try session.edit(instance: 99))
    }

    func testSegmentPointsGivesOneLabelPerPointAtMost() throws {
        let session = try session()
        let labels = try session.predictor.segmentPoints(image: session.image, points: [(16, 16), (44, 40)])
        XCTAssertTrue(labels.storage.allSatisfy { $0 <= 2 })
        XCTAssertThrowsError(try session.predictor.segmentPoints(image: session.image, points: [(-1, 0)]))
        var adopted = labels
        adopted[16, 16] = 2
        try session.adoptInstances(adopted)
        XCTAssertEqual(session.nextID, 3)
        try session.edit(instance: 2)
        XCTAssertFalse(session.instances.storage.contains(2))
        XCTAssertThrowsError(try session.adoptInstances(LabelMap(width: 3, height: 3, repeating: 0)))
    }
}

final class ClickedComponentsTests: XCTestCase {
    /// Two blobs; a positive click on one keeps it and drops the other; no click inside
    /// leaves the mask whole.
    func testOnlyComponentsHoldingAPositiveClickAreKept() throws {
        var mask = Mask(width: 10, height: 4, repeating: false)
        for y in 1...2 { for x in 1...2 { mask[x, y] = true }; for x in 6...8 { mask[x, y] = true } }
        let kept = InteractiveSession.components(of: mask, touching: [Click(x: 7, y: 1, positive: true), Click(x: 1, y: 1, positive: false)])
        XCTAssertEqual(kept.storage.filter { $0 }.count, 6)
        XCTAssertTrue(kept[8, 2])
        XCTAssertFalse(kept[1, 1])
        let missed = InteractiveSession.components(of: mask, touching: [Click(x: 4, y: 3, positive: true)])
        XCTAssertEqual(missed, mask)
    }
}
