import Foundation
import Imaging

/// One synthetic nucleus: its outline and the pixels it covers (before any other nucleus
/// is painted over it), so overlaps can be measured after the fact.
public struct SyntheticNucleus: Sendable, Equatable {
    public var outline: [Point]
    /// Row-major pixel indices inside the outline, clipped to the image.
    public var pixels: [Int]
    /// Area of the unclipped polygon (shoelace formula).
    public var polygonArea: Double
}

/// Random nuclear masks: irregular polygons around ellipses whose areas and axis ratios are
/// drawn from pool statistics, placed at the pool's coverage, with at most
/// `maximumOverlap` pairwise overlap (intersection / smaller area).
public struct NuclearLayout: Sendable {
    public private(set) var nuclei: [SyntheticNucleus]
    public let width: Int, height: Int

    public struct Parameters: Sendable, Equatable {
        public var maximumOverlap: Double = 0.05
        /// Relative radial jitter of polygon vertices (0 = ellipse).
        public var irregularity: Double = 0.12
        public var vertices: Int = 18
        /// Coverage is drawn uniformly in this multiple of the pool's coverage.
        public var coverageRange: ClosedRange<Double> = 0.6...1.3
        /// Positions tried for a nucleus before it is left out.
        public var attempts: Int = 30
        public init() {}
    }

    public static func generate<G: RandomNumberGenerator>(
        width: Int, height: Int, statistics: PoolStatistics, parameters: Parameters = Parameters(), using rng: inout G
    ) -> NuclearLayout {
        var layout = NuclearLayout(nuclei: [], width: width, height: height)
        guard !statistics.areas.isEmpty, width > 0, height > 0 else { return layout }
        var owner = [Int32](repeating: -1, count: width * height)
        // Drawn and placed one by one, a filling layout accepts only small nuclei, and the
        // placed ones come out far smaller than the pool's (median 150 px against 223 on
        // MoNuSeg's training pool); drawn first and placed largest first, they keep its sizes.
        for shape in shapes(width: width, height: height, statistics: statistics, parameters: parameters, using: &rng) {
            for _ in 0..<parameters.attempts {
                let outline = polygon(area: shape.area, ratio: shape.ratio, width: width, height: height,
                                      parameters: parameters, using: &rng)
                if layout.place(outline, owner: &owner, maximumOverlap: parameters.maximumOverlap) { break }
            }
        }
        return layout
    }

    /// Areas and axis ratios drawn from the pool until they cover the layout's drawn share of
    /// the image, largest first.
    static func shapes<G: RandomNumberGenerator>(width: Int, height: Int, statistics: PoolStatistics,
                                                 parameters: Parameters, using rng: inout G) -> [(area: Double, ratio: Double)] {
        let coverage = min(0.6, statistics.nuclearCoverage * Double.random(in: parameters.coverageRange, using: &rng))
        let target = coverage * Double(width * height)
        var shapes: [(area: Double, ratio: Double)] = []
        var planned = 0.0
        while planned < target {
            let area = statistics.areas.randomElement(using: &rng)!
            shapes.append((area, min(1, max(0.3, statistics.axisRatios.randomElement(using: &rng)!))))
            planned += area
        }
        return shapes.sorted { $0.area > $1.area }
    }

    /// Adds the nucleus unless it covers fewer than 4 pixels or overlaps a placed one by more
    /// than `maximumOverlap` of the smaller; `owner` holds the first nucleus at each pixel.
    private mutating func place(_ outline: [Point], owner: inout [Int32], maximumOverlap: Double) -> Bool {
        var pixels: [Int] = []
        PolygonRasterizer.forEachPixel(in: outline, width: width, height: height) { x, y in pixels.append(y * width + x) }
        guard pixels.count >= 4 else { return false }
        var shared: [Int32: Int] = [:]
        for index in pixels where owner[index] >= 0 { shared[owner[index], default: 0] += 1 }
        let acceptable = shared.allSatisfy { other, intersection in
            Double(intersection) <= maximumOverlap * Double(min(pixels.count, nuclei[Int(other)].pixels.count))
        }
        guard acceptable else { return false }
        let id = Int32(nuclei.count)
        for index in pixels where owner[index] < 0 { owner[index] = id }
        nuclei.append(SyntheticNucleus(outline: outline, pixels: pixels, polygonArea: Self.shoelace(outline)))
        return true
    }

    /// Instance labels 1...N in placement order; where two nuclei overlap the later one wins,
    /// as it is painted on top in the image.
    public var labels: LabelMap {
        var labels = LabelMap(width: width, height: height, repeating: 0)
        for (offset, nucleus) in nuclei.enumerated() {
            for index in nucleus.pixels { labels.storage[index] = UInt32(offset + 1) }
        }
        return labels
    }

    /// Pairwise overlap (intersection / smaller area) of the two nuclei.
    public func overlap(_ i: Int, _ j: Int) -> Double {
        let a = Set(nuclei[i].pixels)
        let shared = nuclei[j].pixels.lazy.filter { a.contains($0) }.count
        return Double(shared) / Double(max(1, min(nuclei[i].pixels.count, nuclei[j].pixels.count)))
    }

    static func polygon<G: RandomNumberGenerator>(area: Double, ratio: Double, width: Int, height: Int,
                                                  parameters: Parameters, using rng: inout G) -> [Point] {
        let major = (area / (Double.pi * ratio)).squareRoot(), minor = major * ratio
        let cx = Double.random(in: 0..<Double(width), using: &rng), cy = Double.random(in: 0..<Double(height), using: &rng)
        let angle = Double.random(in: 0..<Double.pi, using: &rng)
        let k = max(6, parameters.vertices)
        // Smooth jitter: a few random harmonics rather than independent noise per vertex,
        // so outlines are lumpy like nuclei, not spiky.
        let harmonics = (2...4).map { _ in (Double.random(in: -1...1, using: &rng), Double.random(in: 0..<(2 * Double.pi), using: &rng)) }
        var raw: [(Double, Double)] = []
        for step in 0..<k {
            let t = 2 * Double.pi * Double(step) / Double(k)
            var r = 1.0
            for (order, (amplitude, phase)) in harmonics.enumerated() {
                r += parameters.irregularity * amplitude * sin(Double(order + 2) * t + phase) / 1.5
            }
            raw.append((major * r * cos(t), minor * r * sin(t)))
        }
        // Rescale so the polygon has the drawn area despite the jitter.
        let unscaled = shoelace(raw.map { Point(x: $0.0, y: $0.1) })
        let scale = unscaled > 0 ? (area / unscaled).squareRoot() : 1
        return raw.map { px, py in
            let x = px * scale, y = py * scale
            return Point(x: cx + x * cos(angle) - y * sin(angle), y: cy + x * sin(angle) + y * cos(angle))
        }
    }

    static func shoelace(_ points: [Point]) -> Double {
        guard points.count >= 3 else { return 0 }
        var sum = 0.0
        for index in points.indices {
            let a = points[index], b = points[(index + 1) % points.count]
            sum += a.x * b.y - b.x * a.y
        }
        return abs(sum) / 2
    }
}
