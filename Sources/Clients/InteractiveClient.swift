import Imaging
import Wire

/// Typed client of the interactive service. A session lives on the instance that opened
/// it: use one client (one endpoint) for a session's calls.
public struct InteractiveClient: Sendable {
    public let rpc: RPCClient

    public init(rpc: RPCClient) {
        self.rpc = rpc
    }

    /// Starts training; returns the job's first status.
    public func train(_ request: Annotator_V1_InteractiveTrainRequest) async throws(RPCError) -> Annotator_V1_JobStatus {
        try await rpc.unary("Train", request, options: CallOptions(timeout: .seconds(600)))
    }

    public var jobs: JobsClient { JobsClient(rpc: rpc) }

    /// One positive click per nucleus → an instance map (label i+1 for point i).
    public func segmentPoints(_ image: RGBImage, points: [(x: Int, y: Int)], model: Annotator_V1_ArtifactRef?,
                              timeout: Duration = .seconds(120)) async throws(RPCError) -> LabelMap {
        var request = Annotator_V1_SegmentPointsRequest()
        request.image = Annotator_V1_Image(image)
        request.points = points.map { Annotator_V1_Click(x: $0.x, y: $0.y, positive: true) }
        if let model { request.model = model }
        let response: Annotator_V1_SegmentPointsResponse = try await rpc.unary(
            "SegmentPoints", request, options: CallOptions(timeout: timeout, idempotent: true))
        return try response.instances.labelMap(field: "instances")
    }

    public func openSession(_ image: RGBImage, model: Annotator_V1_ArtifactRef?,
                            useFBRS: Bool = true) async throws(RPCError) -> Annotator_V1_OpenSessionResponse {
        var request = Annotator_V1_OpenSessionRequest()
        request.image = Annotator_V1_Image(image)
        if let model { request.model = model }
        request.disableFbrs = !useFBRS
        return try await rpc.unary("OpenSession", request, options: CallOptions(timeout: .seconds(120)))
    }

    /// A click on the current object; `sequence` numbers the session's mutating calls so
    /// that a retried call is applied once.
    public func click(session: String, x: Int, y: Int, positive: Bool, sequence: UInt64) async throws(RPCError) -> Annotator_V1_ObjectMask {
        var request = Annotator_V1_ClickRequest()
        request.sessionID = session
        request.click = Annotator_V1_Click(x: x, y: y, positive: positive)
        request.sequence = sequence
        return try await rpc.unary("Click", request, options: CallOptions(timeout: .seconds(60), idempotent: true))
    }

    public func undo(session: String, sequence: UInt64) async throws(RPCError) -> Annotator_V1_ObjectMask {
        var request = Annotator_V1_UndoRequest()
        request.sessionID = session
        request.sequence = sequence
        return try await rpc.unary("Undo", request, options: CallOptions(timeout: .seconds(60), idempotent: true))
    }

    /// Drops the current object's clicks and mask.
    public func reset(session: String, sequence: UInt64) async throws(RPCError) -> Annotator_V1_ObjectMask {
        var request = Annotator_V1_ResetRequest()
        request.sessionID = session
        request.sequence = sequence
        return try await rpc.unary("Reset", request, options: CallOptions(timeout: .seconds(60), idempotent: true))
    }

    /// Keeps the current object as a finished nucleus and starts a new one.
    public func acceptObject(session: String, sequence: UInt64) async throws(RPCError) -> Annotator_V1_ObjectMask {
        var request = Annotator_V1_AcceptObjectRequest()
        request.sessionID = session
        request.sequence = sequence
        return try await rpc.unary("AcceptObject", request, options: CallOptions(timeout: .seconds(60), idempotent: true))
    }

    /// Closes the session; returns the instance map of the accepted nuclei.
    public func finish(session: String) async throws(RPCError) -> Annotator_V1_FinishResponse {
        var request = Annotator_V1_FinishRequest()
        request.sessionID = session
        return try await rpc.unary("Finish", request, options: CallOptions(timeout: .seconds(60)))
    }
}

extension Annotator_V1_Click {
    public init(x: Int, y: Int, positive: Bool) {
        self.init()
        self.x = UInt32(x)
        self.y = UInt32(y)
        kind = positive ? .positive : .negative
    }
}

extension Annotator_V1_ObjectMask {
    /// The object's mask over the whole image (`width`×`height`).
    public func fullMask(width: Int, height: Int) throws(RPCError) -> Mask {
        var mask = Mask(width: width, height: height, repeating: false)
        guard area > 0 else { return mask }
        let box = try self.mask.labelMap(field: "mask")
        for v in 0..<box.height {
            for u in 0..<box.width where box[u, v] != 0 {
                let x = Int(self.x) + u, y = Int(self.y) + v
                if x < width && y < height { mask[x, y] = true }
            }
        }
        return mask
    }
}
