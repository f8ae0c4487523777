import Imaging

/// Why two maps cannot be compared.
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    case sizeMismatch(groundTruth: (width: Int, height: Int), prediction: (width: Int, height: Int))

    public var description: String {
        switch self {
        case let .sizeMismatch(gt, pred):
            "ground truth is \(gt.width)×\(gt.height) but prediction is \(pred.width)×\(pred.height)"
        }
    }

    public static func == (lhs: MetricsError, rhs: MetricsError) -> Bool {
        switch (lhs, rhs) {
        case let (.sizeMismatch(a, b), .sizeMismatch(c, d)):
            a.width == c.width && a.height == c.height && b.width == d.width && b.height == d.height
        }
    }
}

/// Dice-1, Dice-2, AJI, AJI+, DQ, SQ and PQ exactly as hover_net's `stats_utils.py`
/// (remap_label, get_dice_1, get_fast_aji, get_fast_aji_plus, get_fast_pq(0.5),
/// get_fast_dice_2), from one pass over the pixels instead of one mask per instance.
///
/// Convention where the reference is undefined: an empty prediction (or empty ground
/// truth) scores 0 on every metric; an image with neither is `unscored`.
public enum SegmentationMetrics {
    /// PQ matches need IoU strictly above this.
    public static let matchIoU = 0.5

    public static func evaluate(groundTruth: LabelMap, prediction: LabelMap) throws(MetricsError) -> SegmentationScores {
        guard groundTruth.sameSize(as: prediction) else {
            throw .sizeMismatch(groundTruth: (groundTruth.width, groundTruth.height),
                                prediction: (prediction.width, prediction.height))
        }
        let table = OverlapTable(groundTruth: groundTruth, prediction: prediction)
        return scores(table)
    }

    static func scores(_ table: OverlapTable) -> SegmentationScores {
        let nGT = table.groundTruthCount
        let nPred = table.predictionCount
        guard nGT + nPred > 0 else { return .unscored }
        guard nGT > 0, nPred > 0 else {
            return SegmentationScores(dice1: 0, dice2: 0, aji: 0, ajiPlus: 0, dq: 0, sq: 0, pq: 0,
                                      groundTruthCount: nGT, predictionCount: nPred, scored: true)
        }
        let dice1 = 2.0 * Double(table.foregroundIntersection)
            / Double(table.groundTruthForeground + table.predictionForeground)
        let quality = panopticQuality(table)
        return SegmentationScores(
            dice1: dice1, dice2: dice2(table), aji: aji(table), ajiPlus: ajiPlus(table),
            dq: quality.dq, sq: quality.sq, pq: quality.dq * quality.sq,
            groundTruthCount: nGT, predictionCount: nPred, scored: true)
    }

    /// The reference's pairing IoU, with its 1e-6 in the denominator.
    private static func pairingIoU(_ table: OverlapTable, _ gt: Int, _ overlap: OverlapTable.Overlap) -> Double {
        Double(overlap.intersection) / (Double(table.union(gt, overlap)) + 1.0e-6)
    }

    /// Each ground-truth instance pairs with its highest-IoU prediction; a prediction may
    /// be reused (so merges are over-penalised, as in the reference).
    static func aji(_ table: OverlapTable) -> Double {
        var intersection = 0
        var union = 0
        var predictionPaired = [Bool](repeating: false, count: table.predictionCount)
        for gt in 0..<table.groundTruthCount {
            var best: OverlapTable.Overlap?
            var bestIoU = 0.0
            for overlap in table.overlaps[gt] {
                let iou = pairingIoU(table, gt, overlap)
                if iou > bestIoU {
                    bestIoU = iou
                    best = overlap
                }
            }
            if let best {
                intersection += best.intersection
                union += table.union(gt, best)
                predictionPaired[best.prediction] = true
            } else {
                union += table.groundTruthAreas[gt]
            }
        }
        for prediction in 0..<table.predictionCount where !predictionPaired[prediction] {
            union += table.predictionAreas[prediction]
        }
        return Double(intersection) / Double(union)
    }

    /// One-to-one pairing maximising the total IoU. Pairs without overlap never count, so
    /// the assignment is solved per connected component of the overlap graph.
    static func ajiPlus(_ table: OverlapTable) -> Double {
        var intersection = 0
        var union = 0
        var gtPaired = [Bool](repeating: false, count: table.groundTruthCount)
        var predictionPaired = [Bool](repeating: false, count: table.predictionCount)
        for component in overlapComponents(table) {
            let weights = component.groundTruth.map { gt in
                var row = [Double](repeating: 0, count: component.predictions.count)
                for overlap in table.overlaps[gt] {
                    if let column = component.predictions.firstIndex(of: overlap.prediction) {
                        row[column] = pairingIoU(table, gt, overlap)
                    }
                }
                return row
            }
            for pair in Assignment.maximumWeight(weights) where weights[pair.row][pair.column] > 0 {
                let gt = component.groundTruth[pair.row]
                let prediction = component.predictions[pair.column]
                let overlap = table.overlaps[gt].first { $0.prediction == prediction }!
                intersection += overlap.intersection
                union += table.union(gt, overlap)
                gtPaired[gt] = true
                predictionPaired[prediction] = true
            }
        }
        for gt in 0..<table.groundTruthCount where !gtPaired[gt] { union += table.groundTruthAreas[gt] }
        for prediction in 0..<table.predictionCount where !predictionPaired[prediction] {
            union += table.predictionAreas[prediction]
        }
        return Double(intersection) / Double(union)
    }

    /// DQ and SQ with matches at IoU > 0.5 (unique by construction). The reference's PQ
    /// IoU has no epsilon; its SQ divides by TP + 1e-6.
    static func panopticQuality(_ table: OverlapTable) -> (dq: Double, sq: Double) {
        var truePositives = 0
        var iouSum = 0.0
        for gt in 0..<table.groundTruthCount {
            for overlap in table.overlaps[gt] {
                let iou = Double(overlap.intersection) / Double(table.union(gt, overlap))
                if iou > matchIoU {
                    truePositives += 1
                    iouSum += iou
                }
            }
        }
        let falsePositives = table.predictionCount - truePositives
        let falseNegatives = table.groundTruthCount - truePositives
        let dq = Double(truePositives)
            / (Double(truePositives) + 0.5 * Double(falsePositives) + 0.5 * Double(falseNegatives))
        let sq = iouSum / (Double(truePositives) + 1.0e-6)
        return (dq, sq)
    }

    /// Dice over all overlapping pairs.
    static func dice2(_ table: OverlapTable) -> Double {
        var total = 0
        var intersection = 0
        for gt in 0..<table.groundTruthCount {
            for overlap in table.overlaps[gt] {
                total += table.groundTruthAreas[gt] + table.predictionAreas[overlap.prediction]
                intersection += overlap.intersection
            }
        }
        return total == 0 ? 0 : 2.0 * Double(intersection) / Double(total)
    }

    private struct Component {
        var groundTruth: [Int] = []
        var predictions: [Int] = []
    }

    /// Connected components of the bipartite overlap graph (ground truth ↔ predictions).
    private static func overlapComponents(_ table: OverlapTable) -> [Component] {
        var predictionToGT = [[Int]](repeating: [], count: table.predictionCount)
        for gt in 0..<table.groundTruthCount {
            for overlap in table.overlaps[gt] { predictionToGT[overlap.prediction].append(gt) }
        }
        var gtSeen = [Bool](repeating: false, count: table.groundTruthCount)
        var predictionSeen = [Bool](repeating: false, count: table.predictionCount)
        var components: [Component] = []
        for start in 0..<table.groundTruthCount where !gtSeen[start] && !table.overlaps[start].isEmpty {
            var component = Component()
            var stack = [start]
            gtSeen[start] = true
            while let gt = stack.popLast() {
                component.groundTruth.append(gt)
                for overlap in table.overlaps[gt] where !predictionSeen[overlap.prediction] {
                    predictionSeen[overlap.prediction] = true
                    component.predictions.append(overlap.prediction)
                    for other in predictionToGT[overlap.prediction] where !gtSeen[other] {
                        gtSeen[other] = true
                        stack.append(other)
                    }
                }
            }
            component.groundTruth.sort()
            component.predictions.sort()
            components.append(component)
        }
        return components
    }
}
