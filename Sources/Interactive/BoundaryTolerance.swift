import Imaging

/// Scoring that forgives outlines within `pixels` of the annotated one. Hand-drawn nucleus
/// outlines are uncertain by about a pixel, and on a 15 px nucleus one pixel of outline costs
/// a quarter of the IoU, so the strict protocol partly measures how closely a model copies one
/// annotator's hand. With a tolerance, the pixels that close to the annotated outline (on
/// either side: the disk of that radius grown outwards and eroded inwards) count neither
/// for nor against a prediction, and the robot clicker never clicks there.
/// This is the RITM/f-BRS protocol's own ignore label (pixels that count neither in the IoU
/// nor in the clicker's error regions), which its GrabCut loader gives to the band of
/// uncertain pixels that dataset's masks mark along each outline; MoNuSeg marks none, so
/// the band is drawn here. A tolerance of 0 is the standard protocol. A nucleus lying wholly within the band (only
/// very thin ones) leaves nothing to score or click: the evaluation counts it as done.
public struct BoundaryTolerance: Sendable {
    public let groundTruth: Mask
    /// The pixels left out of the score: within the tolerance of the annotated outline;
    /// nil for a tolerance of 0.
    public let band: Mask?

    public init(groundTruth: Mask, pixels: Int) {
        precondition(pixels >= 0, "a boundary tolerance is not negative")
        self.groundTruth = groundTruth
        guard pixels > 0 else { band = nil; return }
        let disk = StructuringElement.disk(radius: pixels)
        let grown = Morphology.dilate(groundTruth, disk), shrunk = Morphology.erode(groundTruth, disk)
        band = try! Mask(width: groundTruth.width, height: groundTruth.height,
                         storage: zip(grown.storage, shrunk.storage).map { $0 && !$1 })
    }

    /// The robot clicker that only clicks errors outside the band.
    public func clicker() -> RobotClicker {
        RobotClicker(groundTruth: groundTruth, ignoring: band)
    }

    /// IoU over the pixels outside the band.
    public func intersectionOverUnion(_ prediction: Mask) -> Double {
        precondition(prediction.sameSize(as: groundTruth), "prediction and ground truth differ in size")
        return Interactive.intersectionOverUnion(prediction, groundTruth, ignoring: band)
    }
}
