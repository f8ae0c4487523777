import Clients
import Foundation
import Imaging
import Interactive
import Wire

/// The simulated annotator: a robot that annotates a crop with the interactive service
/// the way a person would — one click in each nucleus (multi-nucleus mode), then
/// corrective clicks on the nuclei that came out wrong, within a click budget.
///
/// It reads the pool's ground truth for two things only, as a person uses their eyes:
/// where to click (RITM's protocol) and whether a nucleus is good enough. The instance
/// map it returns is made of the interactive model's predictions; no ground-truth pixel
/// is ever copied into it.
public struct SimulatedAnnotator: Sendable {
    public var client: InteractiveClient
    public var model: Annotator_V1_ArtifactRef?
    /// Clicks at most per nucleus (the first included).
    public var clicksPerNucleus: Int
    /// A nucleus whose mask reaches this IoU needs no more clicks. Default 0.85.
    public var iouTarget = 0.85
    /// Ground-truth fragments smaller than this (cut by the crop border) are not clicked. Default 20.
    public var minimumArea = 20

    public init(client: InteractiveClient, model: Annotator_V1_ArtifactRef?, clicksPerNucleus: Int) {
        self.client = client
        self.model = model
        self.clicksPerNucleus = clicksPerNucleus
    }

    public func annotate(image: RGBImage, groundTruth: LabelMap) async throws -> CropAnnotation {
        let started = ContinuousClock.now
        func now() -> Double { (ContinuousClock.now - started).inSecondsValue }
        let width = image.width, height = image.height
        let nuclei = Self.nucleusMasks(groundTruth, minimumArea: minimumArea)
        guard !nuclei.isEmpty else {
            return CropAnnotation(finishing: LabelMap(width: width, height: height, repeating: 0), clicks: [], seconds: now())
        }
        let empty = Mask(width: width, height: height, repeating: false)
        var robots = nuclei.map { RobotClicker(groundTruth: $0) }
        var firstClicks: [Click] = []
        for index in robots.indices {
            guard let click = robots[index].nextClick(prediction: empty) else { continue }
            firstClicks.append(click)
        }
        var log = firstClicks.enumerated().map { AnnotationClick(nucleus: $0.offset, x: $0.element.x, y: $0.element.y, positive: true, t: now()) }
        var labels = try await client.segmentPoints(image, points: firstClicks.map { (x: $0.x, y: $0.y) }, model: model)
        guard labels.width == width, labels.height == height else {
            throw RPCError(.internal, "interactive service returned a \(labels.width)×\(labels.height) map for a \(width)×\(height) crop")
        }

        var needsWork: [(index: Int, iou: Double)] = []
        for index in nuclei.indices {
            let iou = intersectionOverUnion(Self.mask(of: UInt32(index + 1), in: labels), nuclei[index])
            if iou < iouTarget { needsWork.append((index, iou)) }
        }
        if clicksPerNucleus > 1 && !needsWork.isEmpty {
            let session = try await client.openSession(image, model: model)
            var sequence: UInt64 = 0
            func nextSequence() -> UInt64 { sequence += 1; return sequence }
            for (index, firstIoU) in needsWork {
                let first = firstClicks[index]
                var reply = try await client.click(session: session.sessionID, x: first.x, y: first.y, positive: true,
                                                   sequence: nextSequence())
                var best: (mask: Mask, iou: Double)? = nil
                var clicks = 1
                while true {
                    let mask = try reply.fullMask(width: width, height: height)
                    let iou = intersectionOverUnion(mask, nuclei[index])
                    if iou > (best?.iou ?? -1) { best = (mask, iou) }
                    guard iou < iouTarget, clicks < clicksPerNucleus,
                          let click = robots[index].nextClick(prediction: mask) else { break }
                    log.append(AnnotationClick(nucleus: index, x: click.x, y: click.y, positive: click.positive, t: now()))
                    reply = try await client.click(session: session.sessionID, x: click.x, y: click.y, positive: click.positive,
                                                   sequence: nextSequence())
                    clicks += 1
                }
                if reply.area > 0 {
                    _ = try await client.acceptObject(session: session.sessionID, sequence: nextSequence())
                } else {
                    _ = try await client.reset(session: session.sessionID, sequence: nextSequence())
                }
                // As a person would: keep the corrected mask only when it is better.
                if let best, best.iou > firstIoU {
                    Self.replace(label: UInt32(index + 1), with: best.mask, in: &labels)
                }
            }
            _ = try? await client.finish(session: session.sessionID)
        }
        return CropAnnotation(finishing: labels, clicks: log, seconds: now())
    }

    /// One mask per ground-truth nucleus of at least `minimumArea` pixels, in label order.
    public static func nucleusMasks(_ labels: LabelMap, minimumArea: Int) -> [Mask] {
        var pixels: [UInt32: [Int]] = [:]
        for index in labels.storage.indices where labels.storage[index] != 0 {
            pixels[labels.storage[index], default: []].append(index)
        }
        return pixels.keys.sorted().compactMap { label in
            guard let members = pixels[label], members.count >= minimumArea else { return nil }
            var mask = Mask(width: labels.width, height: labels.height, repeating: false)
            for index in members { mask.storage[index] = true }
            return mask
        }
    }

    static func mask(of label: UInt32, in labels: LabelMap) -> Mask {
        var mask = Mask(width: labels.width, height: labels.height, repeating: false)
        for index in labels.storage.indices where labels.storage[index] == label { mask.storage[index] = true }
        return mask
    }

    static func replace(label: UInt32, with mask: Mask, in labels: inout LabelMap) {
        for index in labels.storage.indices {
            if labels.storage[index] == label { labels.storage[index] = 0 }
            if mask.storage[index] { labels.storage[index] = label }
        }
    }
}

/// A click as the project stores it with an annotation.
public struct AnnotationClick: Codable, Equatable, Sendable {
    /// Which nucleus of the crop it was for (0-based, in the order they were done).
    public var nucleus: Int
    public var x: Int
    public var y: Int
    public var positive: Bool
    /// Seconds since the annotation of the crop began.
    public var t: Double
}

/// A crop's annotation: the instance map made with the interactive model, and its clicks.
public struct CropAnnotation: Sendable {
    /// Labels 1…n in order of first appearance.
    public var labels: LabelMap
    public var clicks: [AnnotationClick]
    public var nuclei: Int
    public var seconds: Double

    /// Numbers the nuclei of `labels` 1…n (labels left without pixels drop out).
    init(finishing labels: LabelMap, clicks: [AnnotationClick], seconds: Double) {
        self.labels = labels.relabeledSequentially()
        self.clicks = clicks
        nuclei = Int(self.labels.storage.max() ?? 0)
        self.seconds = seconds
    }
}

extension Duration {
    var inSecondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
