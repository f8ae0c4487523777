import Clients
import Foundation
import Orchestration
import Orchestrator
import OrchestratorService
import Project
import TestSupport
import Wire
import XCTest

/// The orchestrator as a service: a one-cycle run as a job over real (tiny) services, its
/// status, and bad requests answered with errors while the service keeps serving.
final class OrchestratorServiceTests: LiveServicesTestCase {
    /// The orchestrator over services started up front (their models in the test folder).
    private func orchestrator() throws -> OrchestratorClient {
        let services = try startCycleServices(artifactRoot: root.appendingPathComponent("artifacts"))
        let pool = try start(OrchestratorService(.init(connect: { _ in CycleConnection(services: services) {} })).definition)
        return OrchestratorClient(rpc: pool.clients[0])
    }

    func testARunIsAJobAndItsProjectCanBeAskedAbout() async throws {
        root = TestPaths.temporaryDirectory("orchestrator-service")
        let sources = try makeSources()
        let client = try orchestrator()
        var plan = try Self.tinyPlan()
        plan.cycles = 1
        var request = Annotator_V1_OrchestratorRunRequest()
        request.project = root.appendingPathComponent("p.sqlite").path
        request.pool = sources.pool.path
        request.evaluation = try XCTUnwrap(sources.evaluation).path
        request.planJson = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        let started = try await client.run(request)
        let ended = try await client.jobs.wait(started.jobID, every: .milliseconds(100))
        XCTAssertEqual(ended.state, .succeeded, ended.message)
        XCTAssertEqual(ended.metrics["cycle"], 1)
        let status = try await client.status(project: request.project)
        XCTAssertEqual(status.cycles.map(\.cycle), [1])
        XCTAssertEqual(status.cycles.map(\.scored), [true])
        XCTAssertNotNil(ended.metrics["dice1"])
        XCTAssertEqual(status.lastStep, "evaluate")
        let project = try ProjectStore(path: request.project)
        XCTAssertEqual(try project.images(role: .pool).count, 4)
        XCTAssertEqual(try project.images(role: .evaluation).map(\.width), [256, 256])

        // The same project with another plan is refused; the service keeps serving.
        plan.cropSize = 64
        request.planJson = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        do {
            _ = try await client.run(request)
            XCTFail("a project started with other settings must be refused")
        } catch {
            XCTAssertEqual(error.status, .failedPrecondition, "\(error)")
        }
        let again = try await client.status(project: request.project)
        XCTAssertEqual(again.cycles.count, 1)
    }

    func testBadRequestsNameTheProblem() async throws {
        root = TestPaths.temporaryDirectory("orchestrator-service")
        let client = try orchestrator()
        var request = Annotator_V1_OrchestratorRunRequest()
        request.project = root.appendingPathComponent("p.sqlite").path
        request.pool = "/no/such/pool"
        request.evaluation = "/no/such/eval"
        do {
            _ = try await client.run(request)
            XCTFail("a missing pool must be refused")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("/no/such/pool"), error.message)
        }
        request.pool = ""
        do {
            _ = try await client.run(request)
            XCTFail("an empty pool must be refused")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
        }
        do {
            _ = try await client.status(project: "/no/such/project.sqlite")
            XCTFail("a missing project must be NOT_FOUND")
        } catch {
            XCTAssertEqual(error.status, .notFound)
        }
    }
}
