import Foundation
import Imaging

/// Sizes, shapes and density of nuclei in a pool, estimated from the Otsu segmentation of
/// its images (no masks are read). Synthetic nuclei are drawn from these.
public struct PoolStatistics: Sendable, Equatable, Codable {
    /// Areas (pixels) of the segmented nuclei between the 10th and 93rd percentile: the
    /// extremes are mostly fragments and merged clusters (touching nuclei segment as one),
    /// not single nuclei. On MoNuSeg's training images most segmented objects up to that
    /// size (~1,400 px) are one nucleus each; cut at the 85th (~800 px), the large nuclei of
    /// tumours went missing.
    public var areas: [Double]
    /// Minor/major axis ratios (1 = circle) of the same nuclei, from second moments.
    public var axisRatios: [Double]
    /// Fraction of tissue pixels covered by nuclei.
    public var nuclearCoverage: Double
    /// Segmented nuclei per 10,000 tissue pixels (merged nuclei count once).
    public var densityPer10k: Double

    public var minimumArea: Double { areas.first ?? 0 }
    public var maximumArea: Double { areas.last ?? 0 }
    public var medianArea: Double { areas.isEmpty ? 0 : areas[areas.count / 2] }
    public var meanArea: Double { areas.isEmpty ? 0 : areas.reduce(0, +) / Double(areas.count) }

    public init(areas: [Double], axisRatios: [Double], nuclearCoverage: Double, densityPer10k: Double) {
        self.areas = areas.sorted()
        self.axisRatios = axisRatios
        self.nuclearCoverage = nuclearCoverage
        self.densityPer10k = densityPer10k
    }

    /// Measures the nuclei of analysed images. Throws when no nucleus was found at all.
    public static func estimate(_ analyses: [NuclearSegmentation.Analysis], tissuePixels: Int) throws(SynthesisError) -> PoolStatistics {
        var measured: [(area: Double, ratio: Double)] = []
        var nuclearPixels = 0
        for analysis in analyses {
            let labels = ConnectedComponents.label(analysis.nuclei)
            measured += shapes(labels)
            nuclearPixels += analysis.nuclei.storage.lazy.filter { $0 }.count
        }
        guard measured.count >= 3, tissuePixels > 0 else {
            throw .noUsableImages("no nuclei found by the Otsu segmentation of the hematoxylin channel")
        }
        measured.sort { $0.area < $1.area }
        let low = measured.count / 10, high = max(low + 1, measured.count - measured.count * 7 / 100)
        let kept = Array(measured[low..<high])
        return PoolStatistics(areas: kept.map(\.area), axisRatios: kept.map(\.ratio),
                              nuclearCoverage: Double(nuclearPixels) / Double(tissuePixels),
                              densityPer10k: Double(measured.count) / Double(tissuePixels) * 10_000)
    }

    /// Area and axis ratio of every instance (from the eigenvalues of its covariance).
    static func shapes(_ labels: LabelMap) -> [(area: Double, ratio: Double)] {
        let n = Int(labels.maxLabel) + 1
        var count = [Double](repeating: 0, count: n), sx = count, sy = count, sxx = count, syy = count, sxy = count
        for y in 0..<labels.height {
            for x in 0..<labels.width {
                let label = Int(labels.storage[y * labels.width + x])
                guard label != 0 else { continue }
                let fx = Double(x), fy = Double(y)
                count[label] += 1; sx[label] += fx; sy[label] += fy
                sxx[label] += fx * fx; syy[label] += fy * fy; sxy[label] += fx * fy
            }
        }
        var result: [(area: Double, ratio: Double)] = []
        for label in 1..<max(1, n) where count[label] > 0 {
            let c = count[label]
            let mx = sx[label] / c, my = sy[label] / c
            let a = sxx[label] / c - mx * mx + 1.0 / 12, b = syy[label] / c - my * my + 1.0 / 12
            let d = sxy[label] / c - mx * my
            let root = ((a - b) * (a - b) / 4 + d * d).squareRoot()
            let major = (a + b) / 2 + root, minor = max(1e-6, (a + b) / 2 - root)
            result.append((c, (minor / major).squareRoot()))
        }
        return result
    }
}
