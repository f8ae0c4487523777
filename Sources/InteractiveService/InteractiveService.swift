import Artifacts
import Datasets
import Foundation
import Imaging
import Interactive
import ServiceKit
import Synchronization
import Wire

/// The interactive service: sessions of clicks on an image (OpenSession, Click, Undo,
/// Reset, AcceptObject, Finish), multi-nucleus SegmentPoints, and Train as a job. Sessions
/// expire when idle and are bounded in number; mutating calls carry a sequence number so
/// a retried call is applied once.
public final class InteractiveService: Sendable {
    public static let name = "interactive"

    public struct Configuration: Sendable {
        /// Where models are kept. Default: `annotator-artifacts` in the temporary folder.
        public var artifactRoot: URL = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-artifacts")
        /// The model used when a request names none; nil = requests must name one.
        public var defaultModel: URL?
        /// Live sessions at most, and their idle timeout. Defaults 16 and 10 minutes.
        public var sessions = SessionTable<SessionBox, Void>.Configuration()
        /// Largest image accepted for a session, in pixels. Default 4096².
        public var maxImagePixels = 4096 * 4096

        public init() {}
    }

    public let configuration: Configuration
    public let store: ArtifactStore
    public let jobs: JobRegistry
    private let table: Mutex<SessionTable<SessionBox, Void>>
    private let predictors = Mutex<[String: InteractivePredictor]>([:])

    public init(_ configuration: Configuration = Configuration(),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) throws(RPCError) {
        self.configuration = configuration
        do {
            store = try ArtifactStore(root: configuration.artifactRoot)
        } catch {
            throw .internal("interactive: \(error)")
        }
        jobs = JobRegistry(service: Self.name)
        table = Mutex(SessionTable(configuration: configuration.sessions, now: now))
    }

    public var definition: ServiceDefinition {
        var service = ServiceDefinition(name: Self.name)
        service.method("OpenSession", idempotent: false) { (request: Annotator_V1_OpenSessionRequest, context) in
            try self.open(request, context: context)
        }
        service.method("Click", idempotent: true) { (request: Annotator_V1_ClickRequest, _) in
            try await self.mutate(request.sessionID, sequence: request.sequence) { box throws(RPCError) in
                guard request.hasClick, request.click.kind != .unspecified else {
                    throw .invalidArgument("click: give x, y and kind POSITIVE or NEGATIVE")
                }
                let click = Click(x: Int(request.click.x), y: Int(request.click.y), positive: request.click.kind == .positive)
                guard click.x < box.session.image.width, click.y < box.session.image.height else {
                    throw .outOfRange("click (\(click.x), \(click.y)) is outside the \(box.session.image.width)×\(box.session.image.height) image")
                }
                do {
                    _ = try box.session.click(click, useFBRS: box.useFBRS)
                } catch {
                    throw .invalidArgument("click: \(error)")
                }
            }
        }
        service.method("Undo", idempotent: true) { (request: Annotator_V1_UndoRequest, _) in
            try await self.mutate(request.sessionID, sequence: request.sequence) { box throws(RPCError) in
                do {
                    try box.session.undo()
                } catch {
                    throw .failedPrecondition("\(error)")
                }
            }
        }
        service.method("Reset", idempotent: true) { (request: Annotator_V1_ResetRequest, _) in
            try await self.mutate(request.sessionID, sequence: request.sequence) { box throws(RPCError) in
                box.session.resetObject()
            }
        }
        service.method("AcceptObject", idempotent: true) { (request: Annotator_V1_AcceptObjectRequest, _) in
            try await self.mutate(request.sessionID, sequence: request.sequence) { box throws(RPCError) in
                let clicks = box.session.clicks
                guard let label = box.session.finishObject() else {
                    throw .failedPrecondition("the current object is empty: click on a nucleus first")
                }
                box.accepted.append((label, clicks))
            }
        }
        service.method("Finish", idempotent: false) { (request: Annotator_V1_FinishRequest, _) in
            try self.finish(request.sessionID)
        }
        service.method("SegmentPoints", idempotent: true) { (request: Annotator_V1_SegmentPointsRequest, context) in
            try await self.segmentPoints(request, context: context)
        }
        service.method("Train", idempotent: false) { (request: Annotator_V1_InteractiveTrainRequest, _) in
            try self.startTraining(request)
        }
        jobs.register(into: &service)
        return service
    }

    // MARK: Sessions

    func open(_ request: Annotator_V1_OpenSessionRequest, context: RequestContext) throws(RPCError) -> Annotator_V1_OpenSessionResponse {
        guard request.hasImage else { throw .invalidArgument("image: missing") }
        let image = try request.image.rgbImage(in: context, field: "image")
        guard image.width * image.height <= configuration.maxImagePixels else {
            throw .resourceExhausted("image: \(image.width)×\(image.height) is larger than \(configuration.maxImagePixels) pixels")
        }
        let predictor = try predictor(request.hasModel ? request.model : nil)
        let box = SessionBox(session: InteractiveSession(image: image, predictor: predictor), useFBRS: !request.disableFbrs)
        let id = try table.withLock { table throws(RPCError) in try table.open(box) }
        var response = Annotator_V1_OpenSessionResponse()
        response.sessionID = id
        response.width = UInt32(image.width)
        response.height = UInt32(image.height)
        response.idleTimeoutSeconds = configuration.sessions.idleTimeout.inSeconds
        return response
    }

    /// Applies a numbered change to one session under its own lock (other sessions go on),
    /// off Swift's cooperative pool. A retry of the last number gets the same reply.
    func mutate(_ id: String, sequence: UInt64,
                _ change: @escaping @Sendable (SessionBox) throws(RPCError) -> Void) async throws(RPCError) -> Annotator_V1_ObjectMask {
        let box = try table.withLock { table throws(RPCError) in try table.state(id) }
        return try await offload { () throws(RPCError) -> Annotator_V1_ObjectMask in
            try box.apply(sequence: sequence, sessionID: id) { () throws(RPCError) -> Annotator_V1_ObjectMask in
                let started = ContinuousClock.now
                try change(box)
                var reply = box.currentObject()
                reply.sequence = sequence
                reply.seconds = (ContinuousClock.now - started).inSeconds
                return reply
            }
        }
    }

    func finish(_ id: String) throws(RPCError) -> Annotator_V1_FinishResponse {
        let box = try table.withLock { table throws(RPCError) in try table.close(id) }
        return box.finish()
    }

    // MARK: Multi-nucleus

    func segmentPoints(_ request: Annotator_V1_SegmentPointsRequest, context: RequestContext) async throws(RPCError)
        -> Annotator_V1_SegmentPointsResponse {
        guard request.hasImage else { throw .invalidArgument("image: missing") }
        let image = try request.image.rgbImage(in: context, field: "image")
        guard !request.points.isEmpty else { throw .invalidArgument("points: give one click per nucleus") }
        for (index, point) in request.points.enumerated() where point.x >= image.width || point.y >= image.height {
            throw .outOfRange("points[\(index)] (\(point.x), \(point.y)) is outside the \(image.width)×\(image.height) image")
        }
        let predictor = try predictor(request.hasModel ? request.model : nil)
        let points = request.points.map { (x: Int($0.x), y: Int($0.y)) }
        let started = ContinuousClock.now
        let labels = try await offload { () throws(RPCError) -> LabelMap in
            do {
                return try predictor.segmentPoints(image: image, points: points)
            } catch {
                throw .invalidArgument("\(error)")
            }
        }
        var response = Annotator_V1_SegmentPointsResponse()
        response.instances = Annotator_V1_LabelMap(labels, name: request.image.name)
        response.seconds = (ContinuousClock.now - started).inSeconds
        return response
    }

    // MARK: Models

    private func predictor(_ reference: Annotator_V1_ArtifactRef?) throws(RPCError) -> InteractivePredictor {
        let file: URL
        let key: String
        if let reference {
            let artifact = try store.resolve(reference, field: "model")
            file = artifact.url
            key = artifact.sha256
        } else if let defaultModel = configuration.defaultModel {
            file = defaultModel
            key = "default"
        } else {
            throw .failedPrecondition("model: this service has no default interactive model; name one (train with `annotator interactive train`)")
        }
        if let cached = predictors.withLock({ $0[key] }) { return cached }
        let loaded: InteractivePredictor
        do {
            loaded = try InteractivePredictor(modelFile: file)
        } catch {
            throw .invalidArgument("model: \(error)")
        }
        predictors.withLock { $0[key] = loaded }
        return loaded
    }
}

/// One session: its state, lock, and the last reply (for retried calls).
public final class SessionBox: @unchecked Sendable {
    // Every access to `session`, `accepted` and the sequence goes through `lock`.
    let session: InteractiveSession
    let useFBRS: Bool
    var accepted: [(label: UInt32, clicks: [Click])] = []
    private var calls = SequenceGate<Annotator_V1_ObjectMask>()
    private let lock = NSLock()

    init(session: InteractiveSession, useFBRS: Bool) {
        self.session = session
        self.useFBRS = useFBRS
    }

    func apply(sequence requested: UInt64, sessionID: String,
               _ change: () throws(RPCError) -> Annotator_V1_ObjectMask) throws(RPCError) -> Annotator_V1_ObjectMask {
        lock.lock()
        defer { lock.unlock() }
        return try calls.apply(requested, session: sessionID, change)
    }

    /// The current object's mask over its bounding box.
    func currentObject() -> Annotator_V1_ObjectMask {
        let mask = session.currentMask
        var reply = Annotator_V1_ObjectMask()
        reply.clickCount = UInt32(session.clicks.count)
        if let (x0, y0, x1, y1) = mask.boundingBox {
            var box = LabelMap(width: x1 - x0, height: y1 - y0, repeating: 0)
            var area = 0
            for y in y0..<y1 { for x in x0..<x1 where mask[x, y] { box[x - x0, y - y0] = 1; area += 1 } }
            reply.mask = Annotator_V1_LabelMap(box)
            reply.area = UInt32(area)
            reply.x = UInt32(x0)
            reply.y = UInt32(y0)
        }
        return reply
    }

    func finish() -> Annotator_V1_FinishResponse {
        lock.lock()
        defer { lock.unlock() }
        let instances = session.finish()
        var response = Annotator_V1_FinishResponse()
        response.instances = Annotator_V1_LabelMap(instances)
        response.instanceCount = UInt32(accepted.count)
        response.totalClicks = UInt32(accepted.reduce(0) { $0 + $1.clicks.count })
        response.clicks = accepted.map { entry in
            var message = Annotator_V1_InstanceClicks()
            message.label = entry.label
            message.clicks = entry.clicks.map { click in
                var wire = Annotator_V1_Click()
                wire.x = UInt32(click.x)
                wire.y = UInt32(click.y)
                wire.kind = click.positive ? .positive : .negative
                return wire
            }
            return message
        }
        return response
    }
}
