import Imaging

/// The classical nuclei segmenter and the floor every learned model must beat:
/// hematoxylin optical density → Gaussian smoothing → Otsu → fill holes → remove small
/// objects → Euclidean distance → peaks of the smoothed distance as markers → watershed
/// of the negated distance inside the foreground.
public struct ClassicalSegmenter: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Smoothing of the hematoxylin plane before thresholding (pixels).
        public var smoothingSigma: Double = 1.0
        /// Multiplies the Otsu threshold: below 1 takes in paler nuclei.
        public var thresholdScale: Float = 1.0
        /// Radius of the opening that detaches thin bridges (0 = none).
        public var openingRadius: Int = 1
        /// Foreground components and final instances smaller than this are dropped (pixels).
        public var minimumArea: Int = 30
        /// Smoothing of the distance map before looking for peaks (pixels).
        public var distanceSigma: Double = 1.0
        /// A marker is a pixel that is the maximum of the smoothed distance within this radius.
        public var peakRadius: Int = 4
        /// Peaks lower than this distance (pixels) are ignored.
        public var minimumPeakHeight: Float = 2.0

        public init() {}
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public func segment(_ image: RGBImage) -> LabelMap {
        let p = parameters
        let hematoxylin = GaussianBlur.apply(ColorDeconvolution.separate(image).hematoxylin, sigma: p.smoothingSigma)
        let threshold = Otsu.threshold(hematoxylin) * p.thresholdScale
        var foreground = hematoxylin.map { $0 > threshold }
        foreground = HoleFilling.fill(foreground)
        if p.openingRadius > 0 { foreground = Morphology.open(foreground, .disk(radius: p.openingRadius)) }
        foreground = ConnectedComponents.removeSmall(foreground, minimumArea: p.minimumArea)
        return split(foreground)
    }

    /// Splits touching nuclei of a foreground mask by the distance-transform watershed.
    public func split(_ foreground: Mask) -> LabelMap {
        let p = parameters
        var distance = DistanceTransform.euclidean(foreground)
        // No background at all: nothing sensible to split.
        if distance.storage.contains(where: \.isInfinite) { return ConnectedComponents.label(foreground) }
        if p.distanceSigma > 0 { distance = GaussianBlur.apply(distance, sigma: p.distanceSigma) }
        let peaks = LocalMaxima.mask(distance, radius: p.peakRadius, minimum: p.minimumPeakHeight, within: foreground)
        let markers = ConnectedComponents.label(peaks, connectivity: .eight)
        // Size was checked by construction: all planes come from the same image.
        var labels = try! Watershed.flood(distance.map { -$0 }, markers: markers, mask: foreground)
        // Components without a peak are left unlabelled by the flood; each becomes one nucleus.
        var next = labels.maxLabel + 1
        let leftovers = ConnectedComponents.label(
            try! Mask(width: labels.width, height: labels.height, storage: zip(foreground.storage, labels.storage).map { $0 && $1 == 0 }),
            connectivity: .eight)
        var mapping = [UInt32: UInt32]()
        for index in labels.storage.indices where leftovers.storage[index] != 0 {
            let piece = leftovers.storage[index]
            if mapping[piece] == nil {
                mapping[piece] = next
                next += 1
            }
            labels.storage[index] = mapping[piece]!
        }
        return ConnectedComponents.removeSmall(labels, minimumArea: p.minimumArea).relabeledSequentially()
    }
}

/// Plateau-aware local maxima: pixels equal to the maximum of their (2r+1)² neighbourhood.
public enum LocalMaxima {
    public static func mask(_ plane: Plane, radius: Int, minimum: Float, within region: Mask? = nil) -> Mask {
        let width = plane.width, height = plane.height
        // Separable running maximum: rows, then columns.
        var rowMax = plane.storage
        for y in 0..<height {
            for x in 0..<width {
                var best = -Float.infinity
                for sx in max(0, x - radius)...min(width - 1, x + radius) { best = max(best, plane.storage[y * width + sx]) }
                rowMax[y * width + x] = best
            }
        }
        var peaks = Mask(width: width, height: height, repeating: false)
        for y in 0..<height {
            for x in 0..<width {
                let value = plane.storage[y * width + x]
                guard value >= minimum, region.map({ $0.storage[y * width + x] }) ?? true else { continue }
                var best = -Float.infinity
                for sy in max(0, y - radius)...min(height - 1, y + radius) { best = max(best, rowMax[sy * width + x]) }
                peaks.storage[y * width + x] = value >= best
            }
        }
        return peaks
    }
}
