import Foundation
import Imaging
@testable import Orchestrator
import TestSupport
import Wire
import XCTest

final class RetryPolicyTests: XCTestCase {
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.withLock { value += 1; return value } }
    }

    func testAServiceThatComesBackIsRetriedWithNotes() async throws {
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(1)
        let calls = Counter(), notes = Counter()
        let value = try await policy.run(service: "hovernet", what: "Infer", note: { _ in _ = notes.increment() }) {
            if calls.increment() < 3 { throw RPCError(.unavailable, "connection refused") }
            return 42
        }
        XCTAssertEqual(value, 42)
        XCTAssertEqual(notes.increment(), 3, "two retries were announced")
    }

    func testAServiceThatStaysDownFailsNamingIt() async {
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(1)
        policy.attempts = 2
        do {
            _ = try await policy.run(service: "hovernet", what: "HoVerNet training", note: { _ in }) { () async throws -> Int in
                throw RPCError(.unavailable, "connection refused")
            }
            XCTFail("should fail")
        } catch {
            XCTAssertTrue("\(error)".contains("hovernet service: HoVerNet training failed"), "\(error)")
        }
    }

    func testInvalidRequestsAreNotRetried() async {
        let calls = Counter()
        do {
            _ = try await RetryPolicy().run(service: "synthesis", what: "Generate", note: { _ in }) { () async throws -> Int in
                _ = calls.increment()
                throw RPCError(.invalidArgument, "count: 0")
            }
        } catch {}
        XCTAssertEqual(calls.increment(), 2, "one call only")
    }
}

final class CycleSourcesTests: XCTestCase {
    private func dataset(_ root: URL, masks: Bool, corrupt: Bool = false) throws -> URL {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("images"), withIntermediateDirectories: true)
        try ImageFiles.writeRGB(RGBImage(width: 16, height: 16), to: root.appendingPathComponent("images/a.png"))
        if corrupt { try Data("not a png".utf8).write(to: root.appendingPathComponent("images/b.png")) }
        if masks {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
            try ImageFiles.writeLabelMap(LabelMap(width: 16, height: 16, repeating: 0), to: root.appendingPathComponent("instance_masks/a.png"))
        }
        return root
    }

    func testAnUnreadablePoolImageIsNamedBeforeAnythingRuns() throws {
        let root = TestPaths.temporaryDirectory("sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = CycleSources(pool: try dataset(root.appendingPathComponent("pool"), masks: false, corrupt: true),
                                   evaluation: try dataset(root.appendingPathComponent("eval"), masks: true))
        XCTAssertThrowsError(try sources.validate()) { error in
            XCTAssertTrue("\(error)".contains("b.png"), "\(error)")
        }
    }

    func testAnEvaluationSetWithoutMasksIsRefused() throws {
        let root = TestPaths.temporaryDirectory("sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = CycleSources(pool: try dataset(root.appendingPathComponent("pool"), masks: false),
                                   evaluation: try dataset(root.appendingPathComponent("eval"), masks: false))
        XCTAssertThrowsError(try sources.validate()) { error in
            XCTAssertTrue("\(error)".contains("evaluation set"), "\(error)")
        }
    }

    func testWithoutAnEvaluationSetThePoolNeedsNoLabelMaps() throws {
        let root = TestPaths.temporaryDirectory("sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let pool = try dataset(root.appendingPathComponent("pool"), masks: false)
        XCTAssertEqual(try CycleSources(pool: pool, evaluation: nil).validate().map(\.role), [.pool])
        XCTAssertFalse(CycleSources.isLabelled(pool))
        XCTAssertTrue(CycleSources.isLabelled(try dataset(root.appendingPathComponent("eval"), masks: true)))
    }

    func testSplittingAFolderWithoutLabelMapsSaysWhatToDo() throws {
        let root = TestPaths.temporaryDirectory("sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let pool = try dataset(root.appendingPathComponent("pool"), masks: false)
        XCTAssertThrowsError(try CycleSources.splitting(pool, into: Workspace(root: root.appendingPathComponent("w")))) { error in
            XCTAssertTrue("\(error)".contains("--no-eval"), "\(error)")
        }
    }

    func testOneFolderIsSplitIntoPoolAndEvaluation() throws {
        let root = TestPaths.temporaryDirectory("sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = try CycleSources.splitting(TestPaths.repository.appendingPathComponent("Samples/monuseg-mini"),
                                                 into: Workspace(root: root))
        try sources.validate()
        let pool = try FileManager.default.contentsOfDirectory(atPath: sources.pool.appendingPathComponent("images").path)
        let evaluation = try FileManager.default.contentsOfDirectory(atPath: try XCTUnwrap(sources.evaluation).appendingPathComponent("images").path)
        XCTAssertEqual(pool.count, 4)
        XCTAssertEqual(evaluation.count, 2)
        XCTAssertTrue(Set(pool).isDisjoint(with: evaluation))
    }
}
