import Foundation
import ServiceKit
import Synchronization
import Wire
import XCTest

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let origin = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    var now: ContinuousClock.Instant { origin + offset.withLock { $0 } }
}

final class SessionTableTests: XCTestCase {
    func testSequencesApplyOnceReplayRetriesAndRefuseGaps() throws {
        var table = SessionTable<[Int], Int>()
        let id = try table.open([])
        XCTAssertEqual(try table.apply(id, sequence: 1) { state throws(RPCError) in state.append(10); return state.count }, 1)
        // A retry of call 1 is not applied again.
        XCTAssertEqual(try table.apply(id, sequence: 1) { state throws(RPCError) in state.append(99); return -1 }, 1)
        XCTAssertEqual(try table.state(id), [10])
        XCTAssertThrowsError(try table.apply(id, sequence: 3) { _ throws(RPCError) in 0 }) { error in
            XCTAssertEqual((error as? RPCError)?.status, .failedPrecondition)
            XCTAssertTrue("\(error)".contains("expects sequence 2"))
        }
        // A failed change leaves the sequence where it was.
        XCTAssertThrowsError(try table.apply(id, sequence: 2) { _ throws(RPCError) in throw RPCError.outOfRange("click outside") })
        XCTAssertEqual(try table.apply(id, sequence: 2) { state throws(RPCError) in state.append(20); return state.count }, 2)
    }

    func testIdleSessionsExpireAndCapacityIsEnforced() throws {
        let clock = ManualClock()
        var table = SessionTable<Int, Int>(configuration: .init(capacity: 2, idleTimeout: .seconds(60)), now: { clock.now })
        let first = try table.open(1)
        let second = try table.open(2)
        XCTAssertThrowsError(try table.open(3)) { error in
            XCTAssertEqual((error as? RPCError)?.status, .resourceExhausted)
        }
        clock.advance(.seconds(40))
        _ = try table.state(second)  // keeps the second alive
        clock.advance(.seconds(30))
        XCTAssertThrowsError(try table.state(first)) { error in
            XCTAssertEqual((error as? RPCError)?.status, .notFound)
            XCTAssertTrue("\(error)".contains("expired"), "\(error)")
        }
        XCTAssertEqual(try table.state(second), 2)
        _ = try table.open(3)  // the expired one freed a place
        XCTAssertThrowsError(try table.state("nope")) { error in
            XCTAssertTrue("\(error)".contains("does not exist"))
        }
        XCTAssertEqual(try table.close(second), 2)
        XCTAssertEqual(table.count, 1)
    }
}
