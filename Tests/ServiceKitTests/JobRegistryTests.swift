import Foundation
import ServiceKit
import Synchronization
import TestSupport
import Wire
import XCTest

final class JobRegistryTests: XCTestCase {
    func testJobRunsReportsProgressAndSucceeds() async throws {
        let registry = JobRegistry(service: "test")
        let started = registry.start { job in
            for step in 1...5 { job.report(step: step, totalSteps: 5, loss: 1.0 / Double(step)) }
            var artifact = Annotator_V1_ArtifactRef()
            artifact.sha256 = String(repeating: "a", count: 64)
            return JobOutcome(result: artifact, message: "done", metrics: ["aji": 0.5])
        }
        XCTAssertTrue(started.jobID.hasPrefix("test-"))
        let ended = try await registry.wait(started.jobID)
        XCTAssertEqual(ended.state, .succeeded)
        XCTAssertEqual(ended.step, 5)
        XCTAssertEqual(ended.loss, 0.2, accuracy: 1e-12)
        XCTAssertEqual(ended.progress, 1)
        XCTAssertEqual(ended.metrics["aji"], 0.5)
        XCTAssertEqual(ended.result.sha256.count, 64)
    }

    func testCancellationAndQueueing() async throws {
        let registry = JobRegistry(service: "test", maxRunning: 1)
        let release = Atomic<Bool>(false)
        let first = registry.start { job in
            while !job.isCancelled { Thread.sleep(forTimeInterval: 0.002) }
            try job.checkCancelled()
            return JobOutcome()
        }
        let second = registry.start { _ in
            while !release.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.002) }
            return JobOutcome()
        }
        XCTAssertEqual(try registry.status(second.jobID).state, .queued)
        try registry.cancel(first.jobID)
        let firstEnded = try await registry.wait(first.jobID)
        XCTAssertEqual(firstEnded.state, .cancelled)
        let third = registry.start { _ in JobOutcome() }
        XCTAssertEqual(try registry.cancel(third.jobID).state, .cancelled, "a queued job ends at once")
        release.store(true, ordering: .relaxed)
        let secondEnded = try await registry.wait(second.jobID)
        XCTAssertEqual(secondEnded.state, .succeeded)
        XCTAssertEqual(registry.list().map(\.jobID), [first.jobID, second.jobID, third.jobID])
    }

    func testFailuresAndUnknownJobs() async throws {
        let registry = JobRegistry(service: "test")
        struct Broken: Error, CustomStringConvertible { var description: String { "dataset has no pairs" } }
        let job = registry.start { _ in throw Broken() }
        let ended = try await registry.wait(job.jobID)
        XCTAssertEqual(ended.state, .failed)
        XCTAssertEqual(ended.message, "dataset has no pairs")
        XCTAssertThrowsError(try registry.status("nope")) { error in
            XCTAssertEqual((error as? RPCError)?.status, .notFound)
        }
    }

    func testJobMethodsOverTheWire() async throws {
        let registry = JobRegistry(service: "test")
        var service = ServiceDefinition(name: "test")
        registry.register(into: &service)
        var configuration = ServerConfiguration(endpoint: "inproc://jobs-\(UUID().uuidString)")
        configuration.log = { _ in }
        let server = RPCServer(service: service, configuration: configuration)
        let client = try RPCClient(endpoint: try server.start())
        let job = registry.start { _ in JobOutcome(message: "ok") }
        _ = try await registry.wait(job.jobID)
        var request = Annotator_V1_GetJobRequest()
        request.jobID = job.jobID
        let status: Annotator_V1_JobStatus = try await client.unary("GetJob", request)
        XCTAssertEqual(status.state, .succeeded)
        let list: Annotator_V1_ListJobsResponse = try await client.unary("ListJobs", Annotator_V1_ListJobsRequest())
        XCTAssertEqual(list.jobs.count, 1)
        var missing = Annotator_V1_CancelJobRequest()
        missing.jobID = "nope"
        do {
            let _: Annotator_V1_JobStatus = try await client.unary("CancelJob", missing)
            XCTFail("expected NOT_FOUND")
        } catch {
            XCTAssertEqual(error.status, .notFound)
        }
        client.close()
        await server.shutdown()
    }
}
