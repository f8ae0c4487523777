/// Otsu thresholds on a histogram of the value range, with scikit-image's binning
/// (`nbins` equal bins over [min, max], thresholds reported at bin centres).
public enum Otsu {
    /// The threshold that maximises the between-class variance of two classes;
    /// foreground is conventionally `value > threshold`.
    public static func threshold(_ plane: Plane, bins: Int = 256) -> Float {
        let histogram = Histogram(plane.storage, bins: bins)
        guard histogram.low < histogram.high else { return histogram.low }
        let counts = histogram.counts
        let centres = histogram.centres
        // Cumulative weights and means from both ends, as float64 like numpy.
        var weightBelow = [Double](repeating: 0, count: bins)
        var sumBelow = [Double](repeating: 0, count: bins)
        var weight = 0.0, sum = 0.0
        for bin in 0..<bins {
            weight += counts[bin]
            sum += counts[bin] * centres[bin]
            weightBelow[bin] = weight
            sumBelow[bin] = sum
        }
        var best = -1.0, bestBin = 0
        var weightAbove = 0.0, sumAbove = 0.0
        var varianceAt = [Double](repeating: 0, count: bins - 1)
        for bin in stride(from: bins - 1, through: 1, by: -1) {
            weightAbove += counts[bin]
            sumAbove += counts[bin] * centres[bin]
            let below = bin - 1
            guard weightBelow[below] > 0, weightAbove > 0 else { varianceAt[below] = 0; continue }
            let meanBelow = sumBelow[below] / weightBelow[below]
            let meanAbove = sumAbove / weightAbove
            varianceAt[below] = weightBelow[below] * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
        }
        for bin in 0..<(bins - 1) where varianceAt[bin] > best {
            best = varianceAt[bin]
            bestBin = bin
        }
        return Float(centres[bestBin])
    }

    /// `classes − 1` increasing thresholds maximising the between-class variance
    /// (exact search by dynamic programming over the histogram).
    public static func thresholds(_ plane: Plane, classes: Int, bins: Int = 256) -> [Float] {
        precondition(classes >= 2 && classes <= bins, "need 2...bins classes")
        let histogram = Histogram(plane.storage, bins: bins)
        let total = histogram.counts.reduce(0, +)
        guard total > 0 else { return [] }
        // Prefix sums of probability and first moment.
        var p = [Double](repeating: 0, count: bins + 1)
        var mu = [Double](repeating: 0, count: bins + 1)
        for bin in 0..<bins {
            p[bin + 1] = p[bin] + histogram.counts[bin] / total
            mu[bin + 1] = mu[bin] + histogram.counts[bin] / total * histogram.centres[bin]
        }
        // Between-class variance = Σ μ_k² / ω_k − μ², so maximise the sum of μ_k²/ω_k.
        func score(_ first: Int, _ last: Int) -> Double {
            let weight = p[last + 1] - p[first]
            let moment = mu[last + 1] - mu[first]
            return weight > 0 ? moment * moment / weight : 0
        }
        // best[k][j]: best score of bins 0...j split into k+1 classes; choice = start of the last class.
        var best = [[Double]](repeating: [Double](repeating: -.infinity, count: bins), count: classes)
        var choice = [[Int]](repeating: [Int](repeating: 0, count: bins), count: classes)
        for j in 0..<bins { best[0][j] = score(0, j) }
        for k in 1..<classes {
            for j in k..<bins {
                for start in k...j where best[k - 1][start - 1] > -.infinity {
                    let candidate = best[k - 1][start - 1] + score(start, j)
                    if candidate > best[k][j] + 1e-12 * abs(candidate) {
                        best[k][j] = candidate
                        choice[k][j] = start
                    }
                }
            }
        }
        var starts: [Int] = []
        var end = bins - 1
        for k in stride(from: classes - 1, through: 1, by: -1) {
            let start = choice[k][end]
            starts.append(start)
            end = start - 1
        }
        // A class starting at bin s means the threshold sits at the centre of bin s − 1.
        return starts.reversed().map { Float(histogram.centres[$0 - 1]) }
    }
}

/// `bins` equal-width bins over [min, max] of the values, numpy's edge rule (last bin closed).
struct Histogram {
    let counts: [Double]
    let centres: [Double]
    let low: Float
    let high: Float

    init(_ values: [Float], bins: Int) {
        var low = Float.infinity, high = -Float.infinity
        for value in values {
            low = min(low, value)
            high = max(high, value)
        }
        if values.isEmpty { low = 0; high = 0 }
        self.low = low
        self.high = high
        var counts = [Double](repeating: 0, count: bins)
        let lowD = Double(low), highD = Double(high)
        let span = highD - lowD
        if span > 0 {
            let scale = Double(bins) / span
            for value in values {
                let bin = min(bins - 1, Int((Double(value) - lowD) * scale))
                counts[bin] += 1
            }
            self.centres = (0..<bins).map { lowD + span * (Double($0) + 0.5) / Double(bins) }
        } else {
            counts[0] = Double(values.count)
            self.centres = (0..<bins).map { _ in lowD }
        }
        self.counts = counts
    }
}
