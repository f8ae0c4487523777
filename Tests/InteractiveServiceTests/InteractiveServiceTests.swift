import Foundation
import Imaging
import Interactive
import InteractiveService
import ServiceKit
import TestSupport
import Wire
import XCTest

/// The interactive service over the wire with a small untrained network: session
/// lifecycle, idempotent retries, bad clicks, limits, multi-nucleus mode.
final class InteractiveServiceTests: XCTestCase {
    private var server: RPCServer!
    private var client: RPCClient!
    private let image = RGBImage(width: 96, height: 80, fill: (200, 150, 210))

    override func setUp() async throws {
        var model = InteractiveModelConfiguration()
        model.inputSize = 32
        model.highChannels = 8
        model.lowChannels = 8
        model.headChannels = 8
        let file = TestPaths.temporaryDirectory("interactive-model").appendingPathComponent("model.safetensors")
        try ModelFile.save(InteractiveNetwork(configuration: model, seed: 1), to: file)
        var configuration = InteractiveService.Configuration()
        configuration.artifactRoot = TestPaths.temporaryDirectory("interactive-store")
        configuration.defaultModel = file
        configuration.sessions.capacity = 2
        let service = try InteractiveService(configuration)
        var serverConfiguration = ServerConfiguration(endpoint: TestPaths.ipcEndpoint("interactive"))
        serverConfiguration.log = { _ in }
        server = RPCServer(service: service.definition, configuration: serverConfiguration)
        client = try RPCClient(endpoint: try server.start())
    }

    override func tearDown() async throws {
        client.close()
        await server.shutdown()
    }

    private func open() async throws(RPCError) -> String {
        var request = Annotator_V1_OpenSessionRequest()
        request.image = Annotator_V1_Image(image, name: "test")
        let response: Annotator_V1_OpenSessionResponse = try await client.unary("OpenSession", request)
        return response.sessionID
    }

    private func click(_ session: String, _ x: UInt32, _ y: UInt32, positive: Bool = true,
                       sequence: UInt64) async throws(RPCError) -> Annotator_V1_ObjectMask {
        var request = Annotator_V1_ClickRequest()
        request.sessionID = session
        request.click.x = x
        request.click.y = y
        request.click.kind = positive ? .positive : .negative
        request.sequence = sequence
        return try await client.unary("Click", request)
    }

    func testSessionLifecycleWithIdempotentRetries() async throws {
        let session = try await open()
        let first = try await click(session, 40, 40, sequence: 1)
        XCTAssertEqual(first.sequence, 1)
        XCTAssertEqual(first.clickCount, 1)
        let retried = try await click(session, 40, 40, sequence: 1)
        XCTAssertEqual(retried, first, "a retry is answered from the first reply, not applied again")
        let second = try await click(session, 10, 10, positive: false, sequence: 2)
        XCTAssertEqual(second.clickCount, 2)
        do {
            _ = try await click(session, 5, 5, sequence: 5)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .failedPrecondition)
        }
        var undo = Annotator_V1_UndoRequest()
        undo.sessionID = session
        undo.sequence = 3
        let undone: Annotator_V1_ObjectMask = try await client.unary("Undo", undo)
        XCTAssertEqual(undone.clickCount, 1)
        var finish = Annotator_V1_FinishRequest()
        finish.sessionID = session
        let finished: Annotator_V1_FinishResponse = try await client.unary("Finish", finish)
        XCTAssertEqual(finished.instances.width, 96)
        do {
            _ = try await click(session, 40, 40, sequence: 4)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .notFound)
        }
    }

    func testBadClicksAndLimitsGetClearStatuses() async throws {
        let session = try await open()
        do {
            _ = try await click(session, 500, 10, sequence: 1)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .outOfRange)
            XCTAssertTrue(error.message.contains("500"), error.message)
        }
        var undo = Annotator_V1_UndoRequest()
        undo.sessionID = session
        undo.sequence = 1
        do {
            let _: Annotator_V1_ObjectMask = try await client.unary("Undo", undo)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .failedPrecondition)
        }
        _ = try await open()
        do {
            _ = try await open()
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .resourceExhausted)
        }
        var broken = Annotator_V1_OpenSessionRequest()
        broken.image.encoding = .png
        broken.image.data = Data("not a png".utf8)
        do {
            let _: Annotator_V1_OpenSessionResponse = try await client.unary("OpenSession", broken)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
        }
    }

    func testSegmentPointsReturnsOneInstancePerPoint() async throws {
        var request = Annotator_V1_SegmentPointsRequest()
        request.image = Annotator_V1_Image(image)
        for (x, y) in [(20, 20), (70, 50)] {
            var point = Annotator_V1_Click()
            point.x = UInt32(x)
            point.y = UInt32(y)
            point.kind = .positive
            request.points.append(point)
        }
        let response: Annotator_V1_SegmentPointsResponse = try await client.unary("SegmentPoints", request)
        let labels = try response.instances.labelMap(field: "instances")
        XCTAssertEqual(labels.width, 96)
        XCTAssertTrue(Set(labels.instanceIDs).isSubset(of: [1, 2]))
    }
}
