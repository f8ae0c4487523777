import Imaging

/// Areas of every instance and the intersection of every overlapping pair, built in one
/// pass over the pixels. Instances are numbered compactly in ascending label order, as
/// the reference's `remap_label` does, so ties break the same way.
struct OverlapTable {
    struct Overlap {
        var prediction: Int
        var intersection: Int
    }

    let groundTruthAreas: [Int]
    let predictionAreas: [Int]
    /// For each ground-truth instance, its overlapping predictions by ascending index.
    let overlaps: [[Overlap]]
    /// Pixels that are foreground in both maps, and in each.
    let foregroundIntersection: Int
    let groundTruthForeground: Int
    let predictionForeground: Int

    init(groundTruth: LabelMap, prediction: LabelMap) {
        let gtIndex = CompactLabels(groundTruth)
        let predIndex = CompactLabels(prediction)
        var gtAreas = [Int](repeating: 0, count: gtIndex.count)
        var predAreas = [Int](repeating: 0, count: predIndex.count)
        var pairCounts: [UInt64: Int] = [:]
        var both = 0
        var gtForeground = 0
        var predForeground = 0

        // Neighbouring pixels mostly carry the same pair: count runs, touch the table per run.
        var runKey: UInt64 = 0
        var runLength = 0
        groundTruth.storage.withUnsafeBufferPointer { gt in
            prediction.storage.withUnsafeBufferPointer { pred in
                for pixel in 0..<gt.count {
                    let t = gt[pixel]
                    let p = pred[pixel]
                    if t != 0 {
                        gtForeground += 1
                        gtAreas[gtIndex.index(of: t)] += 1
                    }
                    if p != 0 {
                        predForeground += 1
                        predAreas[predIndex.index(of: p)] += 1
                    }
                    guard t != 0, p != 0 else { continue }
                    both += 1
                    let key = UInt64(t) << 32 | UInt64(p)
                    if key == runKey {
                        runLength += 1
                    } else {
                        if runLength > 0 { pairCounts[runKey, default: 0] += runLength }
                        runKey = key
                        runLength = 1
                    }
                }
            }
        }
        if runLength > 0 { pairCounts[runKey, default: 0] += runLength }

        var overlaps = [[Overlap]](repeating: [], count: gtIndex.count)
        for (key, count) in pairCounts {
            let t = gtIndex.index(of: UInt32(truncatingIfNeeded: key >> 32))
            let p = predIndex.index(of: UInt32(truncatingIfNeeded: key))
            overlaps[t].append(Overlap(prediction: p, intersection: count))
        }
        for index in overlaps.indices where overlaps[index].count > 1 {
            overlaps[index].sort { $0.prediction < $1.prediction }
        }
        self.groundTruthAreas = gtAreas
        self.predictionAreas = predAreas
        self.overlaps = overlaps
        self.foregroundIntersection = both
        self.groundTruthForeground = gtForeground
        self.predictionForeground = predForeground
    }

    var groundTruthCount: Int { groundTruthAreas.count }
    var predictionCount: Int { predictionAreas.count }

    func union(_ groundTruth: Int, _ overlap: Overlap) -> Int {
        groundTruthAreas[groundTruth] + predictionAreas[overlap.prediction] - overlap.intersection
    }
}

/// Maps the labels present in a map to 0..<count in ascending label order.
private struct CompactLabels {
    private var dense: [Int32] = []
    private var sparse: [UInt32: Int] = [:]
    private(set) var count = 0

    /// Label values up to this use a lookup array; beyond it, a dictionary.
    private static let denseLimit: UInt32 = 1 << 22

    init(_ labels: LabelMap) {
        let largest = labels.maxLabel
        if largest < Self.denseLimit {
            var present = [Bool](repeating: false, count: Int(largest) + 1)
            for value in labels.storage { present[Int(value)] = true }
            dense = [Int32](repeating: -1, count: Int(largest) + 1)
            for value in 1..<max(1, present.count) where present[value] {
                dense[value] = Int32(count)
                count += 1
            }
        } else {
            for value in labels.instanceIDs {
                sparse[value] = count
                count += 1
            }
        }
    }

    @inline(__always)
    func index(of label: UInt32) -> Int {
        if !dense.isEmpty { return Int(dense[Int(label)]) }
        return sparse[label]!
    }
}
