import Imaging

/// Training targets computed from an instance label map, as hover_net's
/// `models/hovernet/targets.py` (`gen_instance_hv_map`, `gen_targets`).
public enum HoVerTargets {
    /// Instances smaller than this (pixels) get no HV target (hover_net: `remove_small_objects(min_size=30)`);
    /// they still count as nuclear pixels in the NP target.
    public static let defaultMinimumArea = 30

    /// Horizontal (x) and vertical (y) distance maps: for every pixel of an instance, its
    /// offset from the instance's centre of mass, negative and positive offsets each divided
    /// by their largest magnitude within the instance so they span [−1, 0) and (0, 1].
    ///
    /// Matches the reference exactly, including its one-pixel shift: it measures
    /// `column + 1 − round(com_x)` (the grid starts at 1) with round(v) = ⌊v + 0.5⌋.
    /// Background and dropped instances are 0.
    public static func hvMaps(_ labels: LabelMap, minimumArea: Int = defaultMinimumArea) -> (horizontal: Plane, vertical: Plane) {
        let width = labels.width, height = labels.height
        var horizontal = Plane(width: width, height: height, repeating: 0)
        var vertical = Plane(width: width, height: height, repeating: 0)
        guard width > 0, height > 0 else { return (horizontal, vertical) }
        let slots = Int(labels.maxLabel) + 1
        var area = [Int](repeating: 0, count: slots)
        var sumX = [Double](repeating: 0, count: slots), sumY = sumX
        for y in 0..<height {
            for x in 0..<width {
                let label = Int(labels.storage[y * width + x])
                guard label != 0 else { continue }
                area[label] += 1
                sumX[label] += Double(x)
                sumY[label] += Double(y)
            }
        }
        var centreX = [Int](repeating: 0, count: slots), centreY = centreX
        for label in 1..<slots where area[label] > 0 {
            centreX[label] = Int((sumX[label] / Double(area[label]) + 0.5).rounded(.down))
            centreY[label] = Int((sumY[label] / Double(area[label]) + 0.5).rounded(.down))
        }
        // Largest negative and positive magnitudes per instance, per axis.
        var minX = [Float](repeating: 0, count: slots), maxX = minX, minY = minX, maxY = minX
        func keep(_ label: Int) -> Bool { label != 0 && area[label] >= minimumArea }
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x, label = Int(labels.storage[index])
                guard keep(label) else { continue }
                let dx = Float(x + 1 - centreX[label]), dy = Float(y + 1 - centreY[label])
                horizontal.storage[index] = dx
                vertical.storage[index] = dy
                minX[label] = min(minX[label], dx); maxX[label] = max(maxX[label], dx)
                minY[label] = min(minY[label], dy); maxY[label] = max(maxY[label], dy)
            }
        }
        for index in 0..<(width * height) {
            let label = Int(labels.storage[index])
            guard keep(label) else { continue }
            let dx = horizontal.storage[index], dy = vertical.storage[index]
            if dx < 0 { horizontal.storage[index] = dx / -minX[label] } else if dx > 0 { horizontal.storage[index] = dx / maxX[label] }
            if dy < 0 { vertical.storage[index] = dy / -minY[label] } else if dy > 0 { vertical.storage[index] = dy / maxY[label] }
        }
        return (horizontal, vertical)
    }

    /// The NP target: 1 on every instance pixel (small ones included), 0 on background.
    public static func npMap(_ labels: LabelMap) -> Mask { labels.foreground }
}

/// The NP and HV targets of one label map.
public struct LabelMapTargets: Sendable {
    public var np: Mask
    public var horizontal: Plane
    public var vertical: Plane
    public var width: Int { np.width }
    public var height: Int { np.height }

    public init(_ labels: LabelMap, minimumArea: Int = HoVerTargets.defaultMinimumArea) {
        np = HoVerTargets.npMap(labels)
        (horizontal, vertical) = HoVerTargets.hvMaps(labels, minimumArea: minimumArea)
    }
}
