import Imaging

/// Whether a dataset's annotated nuclei are the size the models were tuned on (MoNuSeg's 40×
/// scans), and if not, the rescaling that makes them so. Nucleus size varies with the organ
/// too — MoNuSeg's median nucleus is 294 px in training and 404 px in test, a fifth apart in
/// diameter — so only a clear difference, as between 20× and 40×, is called a different
/// magnification. (The classical hematoxylin segmentation cannot stand in for label maps
/// here: its nucleus sizes do not follow the magnification.)
public struct MagnificationCheck: Sendable, Equatable {
    /// The geometric mean of MoNuSeg's training and test medians, in pixels.
    public static let referenceArea = (294.0 * 404.0).squareRoot()
    /// Scales within this factor of 1 (either way) count as organ-to-organ variation.
    public static let tolerance = 1.4

    /// Median area of the annotated nuclei, in pixels.
    public let medianArea: Double

    public init(medianArea: Double) {
        self.medianArea = medianArea
    }

    /// The median of annotated nuclei's areas (pixels); nil when there is none.
    public init?(areas: [Int]) {
        guard !areas.isEmpty else { return nil }
        self.init(medianArea: Double(areas.sorted()[areas.count / 2]))
    }

    /// The area (pixels) of every instance of a label map.
    public static func areas(of labels: LabelMap) -> [Int] {
        labels.areas().dropFirst().filter { $0 > 0 }
    }

    /// The factor (output side ÷ input side) that brings the nuclei to the reference size.
    public var scale: Double { medianArea > 0 ? (Self.referenceArea / medianArea).squareRoot() : 1 }

    /// Whether the nuclei are already about the models' size.
    public var matches: Bool { scale >= 1 / Self.tolerance && scale <= Self.tolerance }
}
