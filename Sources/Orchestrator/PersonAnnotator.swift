import Clients
import Datasets
import Foundation
import Imaging
import Wire

/// A person annotating a crop at the terminal: they look at the overlay image (the map so
/// far in green, the current nucleus in red), type clicks and commands (see
/// `AnnotationCommand.usage`), and finish with `done`. The proposal (e.g. HoVerNet's
/// prediction of the crop) starts the map, so the work is correcting, not drawing.
public struct PersonAnnotator: Sendable {
    public var client: InteractiveClient
    public var model: Annotator_V1_ArtifactRef?
    /// Next line typed, or nil at the end of input (which finishes like `done`).
    public var readLine: @Sendable () -> String?
    /// Shows the current overlay and a status line.
    public var show: @Sendable (_ overlay: RGBImage, _ status: String) -> Void

    public init(client: InteractiveClient, model: Annotator_V1_ArtifactRef?, readLine: @escaping @Sendable () -> String?,
                show: @escaping @Sendable (RGBImage, String) -> Void) {
        self.client = client
        self.model = model
        self.readLine = readLine
        self.show = show
    }

    /// The finished annotation, or nil when the person quit without saving.
    public func annotate(image: RGBImage, proposal: LabelMap?) async throws -> CropAnnotation? {
        let started = ContinuousClock.now
        func now() -> Double { (ContinuousClock.now - started).inSecondsValue }
        var labels = proposal ?? LabelMap(width: image.width, height: image.height, repeating: 0)
        guard labels.width == image.width, labels.height == image.height else {
            throw RPCError(.invalidArgument, "the proposal is \(labels.width)×\(labels.height), the crop \(image.width)×\(image.height)")
        }
        let session = try await client.openSession(image, model: model)
        var sequence: UInt64 = 0
        func nextSequence() -> UInt64 { sequence += 1; return sequence }
        var clicks: [AnnotationClick] = []
        var current: Mask?
        var nucleus = 0
        func display(_ status: String) {
            show(Self.overlay(image, labels: labels, current: current), status)
        }
        display("\(Self.count(labels)) nuclei in the map; type help for commands")
        while let line = readLine() {
            let command: AnnotationCommand
            do {
                guard let parsed = try AnnotationCommand.parse(line) else { continue }
                command = parsed
            } catch {
                display("\(error)")
                continue
            }
            do {
                switch command {
                case let .click(x, y, positive):
                    guard x < image.width, y < image.height else {
                        display("(\(x), \(y)) is outside the \(image.width)×\(image.height) crop")
                        continue
                    }
                    let reply = try await client.click(session: session.sessionID, x: x, y: y, positive: positive,
                                                       sequence: nextSequence())
                    clicks.append(AnnotationClick(nucleus: nucleus, x: x, y: y, positive: positive, t: now()))
                    current = try reply.fullMask(width: image.width, height: image.height)
                    display("current nucleus: \(reply.area) px after \(reply.clickCount) click(s); a = accept, u = undo")
                case let .points(spots):
                    guard current == nil else {
                        display("accept (a) or reset (r) the current nucleus first")
                        continue
                    }
                    if let outside = spots.first(where: { $0.x >= image.width || $0.y >= image.height }) {
                        display("(\(outside.x), \(outside.y)) is outside the \(image.width)×\(image.height) crop")
                        continue
                    }
                    let found = try await client.segmentPoints(image, points: spots.map { (x: $0.x, y: $0.y) }, model: model)
                    guard found.width == image.width, found.height == image.height else {
                        throw RPCError(.internal, "the service returned a \(found.width)×\(found.height) map for a \(image.width)×\(image.height) crop")
                    }
                    for spot in spots {
                        clicks.append(AnnotationClick(nucleus: nucleus, x: spot.x, y: spot.y, positive: true, t: now()))
                        nucleus += 1
                    }
                    let added = Self.addFreePixels(of: found, count: spots.count, to: &labels)
                    display("\(added) of \(spots.count) nuclei added; \(Self.count(labels)) in the map (d x,y removes one)")
                case .undo:
                    let reply = try await client.undo(session: session.sessionID, sequence: nextSequence())
                    current = reply.area > 0 ? try reply.fullMask(width: image.width, height: image.height) : nil
                    display("undone; current nucleus \(reply.area) px")
                case .accept:
                    guard let mask = current, mask.storage.contains(true) else {
                        display("nothing to accept: click inside a nucleus first")
                        continue
                    }
                    _ = try await client.acceptObject(session: session.sessionID, sequence: nextSequence())
                    let label = (labels.storage.max() ?? 0) + 1
                    for index in mask.storage.indices where mask.storage[index] { labels.storage[index] = label }
                    current = nil
                    nucleus += 1
                    display("accepted; \(Self.count(labels)) nuclei in the map")
                case .reset:
                    _ = try await client.reset(session: session.sessionID, sequence: nextSequence())
                    current = nil
                    display("current nucleus dropped")
                case let .delete(x, y):
                    guard x < image.width, y < image.height, labels[x, y] != 0 else {
                        display("no nucleus at (\(x), \(y))")
                        continue
                    }
                    let label = labels[x, y]
                    for index in labels.storage.indices where labels.storage[index] == label { labels.storage[index] = 0 }
                    display("deleted; \(Self.count(labels)) nuclei in the map")
                case .help:
                    display(AnnotationCommand.usage)
                case .done:
                    return try await finish(session.sessionID, labels: labels, clicks: clicks, seconds: now())
                case .quit:
                    _ = try? await client.finish(session: session.sessionID)
                    return nil
                }
            } catch let error as RPCError {
                // The service refused this one call (e.g. undo with nothing to undo); the
                // session and the map so far are intact.
                display("\(error.status.name): \(error.message)")
            }
        }
        return try await finish(session.sessionID, labels: labels, clicks: clicks, seconds: now())
    }

    private func finish(_ session: String, labels: LabelMap, clicks: [AnnotationClick], seconds: Double) async throws -> CropAnnotation {
        _ = try? await client.finish(session: session)
        return CropAnnotation(finishing: labels, clicks: clicks, seconds: seconds)
    }

    static func count(_ labels: LabelMap) -> Int { Set(labels.storage).subtracting([0]).count }

    /// Adds instances 1...count of `found` to `labels` on the pixels `labels` leaves free (what
    /// is there was accepted), each under a new label in order; returns how many got a pixel.
    static func addFreePixels(of found: LabelMap, count: Int, to labels: inout LabelMap) -> Int {
        var newLabel = [UInt32](repeating: 0, count: count + 1)
        for pixel in found.storage.indices where labels.storage[pixel] == 0 {
            let instance = Int(found.storage[pixel])
            if instance > 0, instance <= count { newLabel[instance] = 1 }
        }
        var next = (labels.storage.max() ?? 0) + 1
        var added = 0
        for instance in stride(from: 1, through: count, by: 1) where newLabel[instance] != 0 {
            newLabel[instance] = next
            next += 1
            added += 1
        }
        for pixel in found.storage.indices where labels.storage[pixel] == 0 {
            let instance = Int(found.storage[pixel])
            if instance > 0, instance <= count { labels.storage[pixel] = newLabel[instance] }
        }
        return added
    }

    /// The map's outlines in green and the current nucleus's in red.
    public static func overlay(_ image: RGBImage, labels: LabelMap, current: Mask?) -> RGBImage {
        var out = (try? Overlay.outlines(image, labels)) ?? image
        if let current {
            var single = LabelMap(width: current.width, height: current.height, repeating: 0)
            for index in current.storage.indices where current.storage[index] { single.storage[index] = 1 }
            out = (try? Overlay.outlines(out, single, color: (255, 0, 0))) ?? out
        }
        return out
    }
}
