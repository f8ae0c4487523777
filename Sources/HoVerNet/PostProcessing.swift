import Imaging

/// The reference post-processing (hover_net `models/hovernet/post_proc.py`, `__proc_np_hv`):
/// NP ≥ threshold → foreground without small objects; the HV maps, min-max normalised, are
/// differentiated with 21-tap Sobel filters; where either derivative is steep lies a
/// boundary; markers = foreground minus boundaries, hole-filled, opened, labelled and
/// cleaned; a watershed on the smoothed inverted "distance" (1 − edge-ness) floods the
/// foreground from the markers.
public struct PostProcessor: Sendable {
    public struct Parameters: Codable, Sendable, Equatable {
        /// NP probability at or above which a pixel is nuclear.
        public var foregroundThreshold: Float = 0.5
        /// Foreground components and markers smaller than this are dropped (pixels). The
        /// reference uses 10; 30 was better for every model we tuned on the MoNuSeg
        /// training images (supervised and label-free alike): CPU-trained models leave more
        /// small debris, and no nucleus at 40× is that small.
        public var minimumObjectArea: Int = 30
        /// Sobel kernel size on the HV maps (OpenCV's ksize).
        public var sobelSize: Int = 21
        /// Edge-ness at or above which a pixel is no marker.
        public var edgeThreshold: Float = 0.4

        public init() {}
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) { self.parameters = parameters }

    /// The instance map from the NP probability of "nucleus" and the two HV maps.
    public func instances(probability: Plane, horizontal: Plane, vertical: Plane) throws(HoVerNetError) -> LabelMap {
        guard probability.sameSize(as: horizontal), probability.sameSize(as: vertical) else {
            throw .invalidInput("NP and HV maps differ in size")
        }
        let width = probability.width, height = probability.height
        guard width > 0, height > 0 else { return LabelMap(width: width, height: height, repeating: 0) }
        let p = parameters
        // scipy's measurements.label uses 4-connectivity by default.
        let raw = probability.map { $0 >= p.foregroundThreshold }
        let foreground = ConnectedComponents.removeSmall(raw, minimumArea: p.minimumObjectArea, connectivity: .four)
        let sobelH = OpenCVSobel.apply(Self.minMaxNormalized(horizontal), size: p.sobelSize, derivativeAlongX: true)
        let sobelV = OpenCVSobel.apply(Self.minMaxNormalized(vertical), size: p.sobelSize, derivativeAlongX: false)
        let edgeH = Self.minMaxNormalized(sobelH), edgeV = Self.minMaxNormalized(sobelV)
        var edge = Plane(width: width, height: height, repeating: 0)
        var distance = Plane(width: width, height: height, repeating: 0)
        for i in 0..<(width * height) {
            let inside: Float = foreground.storage[i] ? 1 : 0
            let overall = max(max(1 - edgeH.storage[i], 1 - edgeV.storage[i]) - (1 - inside), 0)
            edge.storage[i] = overall
            distance.storage[i] = (1 - overall) * inside
        }
        // Nuclei are mountains of (1 − edge-ness); negate so the watershed fills basins.
        let elevation = OpenCVSobel.blur3(distance).map { -$0 }
        var markers = Mask(width: width, height: height, repeating: false)
        for i in 0..<(width * height) { markers.storage[i] = foreground.storage[i] && edge.storage[i] < p.edgeThreshold }
        markers = HoleFilling.fill(markers)
        markers = Morphology.open(markers, Self.ellipse5x5)
        let seeds = ConnectedComponents.label(
            ConnectedComponents.removeSmall(markers, minimumArea: p.minimumObjectArea, connectivity: .four), connectivity: .four)
        do {
            return try Watershed.flood(elevation, markers: seeds, mask: foreground, connectivity: .four)
        } catch {
            throw .imaging(error)
        }
    }

    /// OpenCV's `getStructuringElement(MORPH_ELLIPSE, (5, 5))`: a 5×5 disk whose top and
    /// bottom rows hold only the centre pixel.
    static let ellipse5x5 = StructuringElement(halfWidths: [0, 2, 2, 2, 0])

    /// cv2.normalize(NORM_MINMAX) to [0, 1]; a constant plane becomes 0.
    static func minMaxNormalized(_ plane: Plane) -> Plane {
        guard let low = plane.storage.min(), let high = plane.storage.max(), high > low else {
            return plane.map { _ in 0 }
        }
        let scale = 1 / (high - low)
        return plane.map { ($0 - low) * scale }
    }
}

/// OpenCV's Sobel filter for large kernels (`getSobelKernels`): a binomial smoothing of
/// size k across the derivative axis and, along it, the binomial of size k − 1 convolved
/// with [−1, 1]; borders are BORDER_REFLECT_101. Kernels are scaled to unit sums of
/// magnitudes (the post-processing min-max normalises the result, so only shape matters,
/// and the raw 21-tap weights reach 2^20).
enum OpenCVSobel {
    static func kernels(size: Int) -> (smoothing: [Float], derivative: [Float]) {
        func binomial(_ n: Int) -> [Double] {
            var row: [Double] = [1]
            for _ in 0..<n { row = zip(row + [0], [0] + row).map { $0 + $1 } }
            return row
        }
        let smoothing = binomial(size - 1)
        let base = binomial(size - 2)
        // d[j] = base[j − 1] − base[j]: negative on the left, so a rising ramp is positive.
        let derivative = (0..<size).map { j in (j >= 1 ? base[j - 1] : 0) - (j < size - 1 ? base[j] : 0) }
        let s = smoothing.reduce(0, +), d = derivative.reduce(0) { $0 + abs($1) }
        return (smoothing.map { Float($0 / s) }, derivative.map { Float($0 / d) })
    }

    static func apply(_ plane: Plane, size: Int, derivativeAlongX: Bool) -> Plane {
        let (smoothing, derivative) = kernels(size: size)
        return separable(plane, alongX: derivativeAlongX ? derivative : smoothing,
                         alongY: derivativeAlongX ? smoothing : derivative)
    }

    /// cv2.GaussianBlur with a 3×3 kernel and sigma 0: [1, 2, 1]/4 both ways.
    static func blur3(_ plane: Plane) -> Plane {
        separable(plane, alongX: [0.25, 0.5, 0.25], alongY: [0.25, 0.5, 0.25])
    }

    /// Correlation with kx along rows, then ky along columns, reflect-101 borders.
    static func separable(_ plane: Plane, alongX kx: [Float], alongY ky: [Float]) -> Plane {
        let width = plane.width, height = plane.height
        let rx = kx.count / 2, ry = ky.count / 2
        var rows = [Float](repeating: 0, count: width * height)
        var line = [Float](repeating: 0, count: width + 2 * rx)
        for y in 0..<height {
            for i in 0..<line.count { line[i] = plane.storage[y * width + reflect101(i - rx, width)] }
            for x in 0..<width {
                var sum: Float = 0
                for k in 0..<kx.count { sum += kx[k] * line[x + k] }
                rows[y * width + x] = sum
            }
        }
        var out = Plane(width: width, height: height, repeating: 0)
        let rowIndex = (0..<(height + 2 * ry)).map { reflect101($0 - ry, height) * width }
        var accumulator = [Float](repeating: 0, count: width)
        for y in 0..<height {
            for x in 0..<width { accumulator[x] = 0 }
            for k in 0..<ky.count {
                let weight = ky[k], base = rowIndex[y + k]
                for x in 0..<width { accumulator[x] += weight * rows[base + x] }
            }
            for x in 0..<width { out.storage[y * width + x] = accumulator[x] }
        }
        return out
    }
}

/// Index of `i` reflected into 0..<count without repeating the edge (gfedcb|abcdefgh|gfedcba).
@inline(__always)
func reflect101(_ i: Int, _ count: Int) -> Int {
    if i >= 0 && i < count { return i }
    if count == 1 { return 0 }
    let period = 2 * count - 2
    var folded = i % period
    if folded < 0 { folded += period }
    return folded < count ? folded : period - folded
}
