import Imaging

/// Scoring that forgives outlines within `pixels` of the annotated one. Hand-drawn nucleus
/// outlines are uncertain by about a pixel, and on a 15 px nucleus one pixel of outline costs
/// a quarter of the IoU, so the strict protocol partly measures how closely a model copies one
/// annotator's hand. With a tolerance, the pixels that close to the annotated outline (on
/// either side: the disk of that radius grown outwards and eroded inwards) count neither
/// for nor against a prediction, and the robot clicker never clicks there.
/// A tolerance of 0 is the standard protocol. A nucleus lying wholly within the band (only
/// very thin ones) leaves nothing to score or click: the evaluation counts it as done.
public struct BoundaryTolerance: Sendable {
    public let groundTruth: Mask
    /// The pixels left out of the score: within the tolerance of the annotated outline.
    public let band: Mask

    public init(groundTruth: Mask, pixels: Int) {
        precondition(pixels >= 0, "a boundary tolerance is not negative")
        self.groundTruth = groundTruth
        if pixels == 0 {
            band = Mask(width: groundTruth.width, height: groundTruth.height, repeating: false)
        } else {
            let disk = StructuringElement.disk(radius: pixels)
            let grown = Morphology.dilate(groundTruth, disk), shrunk = Morphology.erode(groundTruth, disk)
            band = try! Mask(width: groundTruth.width, height: groundTruth.height,
                             storage: zip(grown.storage, shrunk.storage).map { $0 && !$1 })
        }
    }

    /// The prediction as the tolerant judge sees it: inside the band it agrees with the
    /// annotation, so the clicker only finds errors outside the band.
    public func judged(_ prediction: Mask) -> Mask {
        precondition(prediction.sameSize(as: groundTruth), "prediction and ground truth differ in size")
        return try! Mask(width: prediction.width, height: prediction.height,
                         storage: prediction.storage.indices.map { band.storage[$0] ? groundTruth.storage[$0] : prediction.storage[$0] })
    }

    /// IoU over the pixels outside the band (1 when neither mask has any there).
    public func intersectionOverUnion(_ prediction: Mask) -> Double {
        precondition(prediction.sameSize(as: groundTruth), "prediction and ground truth differ in size")
        var intersection = 0, union = 0
        for index in 0..<prediction.count where !band.storage[index] {
            let p = prediction.storage[index], q = groundTruth.storage[index]
            if p && q { intersection += 1 }
            if p || q { union += 1 }
        }
        return union == 0 ? 1 : Double(intersection) / Double(union)
    }
}
