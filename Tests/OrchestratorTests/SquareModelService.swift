import Foundation
import Imaging
import Wire
import XCTest

/// A stand-in interactive service: each positive click predicts a 5×5 square around it.
final class SquareModelService: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: (width: Int, height: Int, clicks: [(Int, Int)])] = [:]

    static func square(around points: [(Int, Int)], width: Int, height: Int, label: UInt32, into labels: inout LabelMap) {
        for (cx, cy) in points {
            for y in max(0, cy - 2)...min(height - 1, cy + 2) {
                for x in max(0, cx - 2)...min(width - 1, cx + 2) { labels[x, y] = label }
            }
        }
    }

    func objectMask(_ id: String) -> Annotator_V1_ObjectMask {
        let session = sessions[id]!
        var full = LabelMap(width: session.width, height: session.height, repeating: 0)
        Self.square(around: session.clicks, width: session.width, height: session.height, label: 1, into: &full)
        var reply = Annotator_V1_ObjectMask()
        reply.area = UInt32(full.storage.filter { $0 != 0 }.count)
        reply.mask = Annotator_V1_LabelMap(full)
        return reply
    }

    var definition: ServiceDefinition {
        var service = ServiceDefinition(name: "interactive")
        service.method("SegmentPoints", idempotent: true) { (request: Annotator_V1_SegmentPointsRequest, context) in
            let image = try request.image.rgbImage(in: context, field: "image")
            var labels = LabelMap(width: image.width, height: image.height, repeating: 0)
            for (index, point) in request.points.enumerated() {
                Self.square(around: [(Int(point.x), Int(point.y))], width: image.width, height: image.height,
                            label: UInt32(index + 1), into: &labels)
            }
            var response = Annotator_V1_SegmentPointsResponse()
            response.instances = Annotator_V1_LabelMap(labels)
            return response
        }
        service.method("OpenSession", idempotent: false) { (request: Annotator_V1_OpenSessionRequest, context) in
            let image = try request.image.rgbImage(in: context, field: "image")
            let id = UUID().uuidString
            self.lock.withLock { self.sessions[id] = (image.width, image.height, []) }
            var response = Annotator_V1_OpenSessionResponse()
            response.sessionID = id
            return response
        }
        service.method("Click", idempotent: true) { (request: Annotator_V1_ClickRequest, _) in
            self.lock.withLock {
                if request.click.kind == .positive { self.sessions[request.sessionID]!.clicks.append((Int(request.click.x), Int(request.click.y))) }
                return self.objectMask(request.sessionID)
            }
        }
        for name in ["AcceptObject", "Reset"] {
            service.method(name, idempotent: true) { (request: Annotator_V1_ResetRequest, _) in
                self.lock.withLock {
                    self.sessions[request.sessionID]!.clicks = []
                    return self.objectMask(request.sessionID)
                }
            }
        }
        service.method("Finish", idempotent: false) { (request: Annotator_V1_FinishRequest, _) in
            self.lock.withLock { _ = self.sessions.removeValue(forKey: request.sessionID) }
            return Annotator_V1_FinishResponse()
        }
        return service
    }
}

/// Serves `SquareModelService` in-process for the annotator tests and connects a client.
class SquareModelServiceTestCase: XCTestCase {
    private var server: RPCServer!
    var client: RPCClient!

    override func setUp() async throws {
        var configuration = ServerConfiguration(endpoint: "inproc://fake-interactive-\(UUID().uuidString)")
        configuration.log = { _ in }
        server = RPCServer(service: SquareModelService().definition, configuration: configuration)
        client = try RPCClient(endpoint: try server.start())
    }

    override func tearDown() async throws {
        client.close()
        await server.shutdown()
    }
}
