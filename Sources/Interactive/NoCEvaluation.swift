import Datasets
import Foundation
import Imaging

/// The RITM/f-BRS evaluation protocol with the robot clicker: per nucleus, up to
/// `maxClicks` clicks; NoC@t = clicks needed to reach IoU t (maxClicks when never reached).
public struct NoCOptions: Sendable {
    public var maxClicks = 20
    /// Evaluate this many nuclei drawn at random (seeded), or all when nil.
    public var maxNuclei: Int?
    public var seed: UInt64 = 7
    public var useFBRS = true
    public var minimumArea = 12
    /// Each nucleus is annotated in a view of its bbox plus this margin (image pixels): the
    /// zoom-in windows never reach further, so the result equals annotating the full image
    /// while the clicker's distance transforms stay small.
    public var viewMargin = 96
    /// Pixels of outline disagreement forgiven (see `BoundaryTolerance`); 0, the default,
    /// is the standard protocol.
    public var boundaryTolerance = 0

    public init() {}
}

public struct NucleusResult: Sendable, Codable {
    public var image: String
    public var id: UInt32
    public var area: Int
    /// IoU after click 1, 2, ... (repeated to `maxClicks` once the protocol stops early).
    public var ious: [Double]
    public var noc85: Int
    public var noc90: Int
    public var clicks: Int
    public var seconds: Double
}

public struct NoCReport: Sendable, Codable {
    public var nuclei: Int
    public var noc85: Double
    public var noc90: Double
    public var miouAt1: Double
    public var miouAt3: Double
    public var miouAt5: Double
    public var failed85Fraction: Double
    /// Wall time of the predictor per click, milliseconds: mean, median, 99th percentile.
    public var spcMs: Double
    public var p50Ms: Double
    public var p99Ms: Double
    public var perNucleus: [NucleusResult]
    /// The same figures per nucleus size, smallest first.
    public var byArea: [AreaGroup]
}

/// NoC figures of the nuclei whose area (pixels) lies in `minimumArea..<maximumArea`:
/// small nuclei are where one pixel of boundary costs the most IoU.
public struct AreaGroup: Sendable, Codable, Equatable {
    public var minimumArea: Int
    /// nil: no upper bound.
    public var maximumArea: Int?
    public var nuclei: Int
    public var noc85: Double
    public var noc90: Double
    public var miouAt1: Double

    /// Area bounds of the groups: under 100 px (≲ 11 px across), 100–200, 200–400, 400+.
    public static let bounds = [0, 100, 200, 400]

    static func groups(_ results: [NucleusResult]) -> [AreaGroup] {
        bounds.indices.compactMap { index in
            let low = bounds[index], high = index + 1 < bounds.count ? bounds[index + 1] : nil
            let members = results.filter { result in result.area >= low && (high.map { result.area < $0 } ?? true) }
            guard !members.isEmpty else { return nil }
            let n = Double(members.count)
            return AreaGroup(minimumArea: low, maximumArea: high, nuclei: members.count,
                             noc85: members.map { Double($0.noc85) }.reduce(0, +) / n,
                             noc90: members.map { Double($0.noc90) }.reduce(0, +) / n,
                             miouAt1: members.map { $0.ious.first ?? 0 }.reduce(0, +) / n)
        }
    }
}

public enum NoCEvaluation {
    public static func evaluate(predictor: InteractivePredictor, data: FolderDataset, options: NoCOptions = .init(),
                                progress: (Int, Int) -> Void = { _, _ in }) throws(InteractiveError) -> NoCReport {
        var pairs: [(String, LabeledImage)] = []
        for sample in data.samples {
            do { pairs.append((sample.name, try data.load(sample))) } catch { throw .dataset(error) }
        }
        var nuclei: [(pair: Int, id: UInt32)] = []
        for (index, (_, pair)) in pairs.enumerated() {
            var areas: [UInt32: Int] = [:]
            for id in pair.labels.storage where id != 0 { areas[id, default: 0] += 1 }
            for (id, area) in areas.sorted(by: { $0.key < $1.key }) where area >= options.minimumArea { nuclei.append((index, id)) }
        }
        if let limit = options.maxNuclei, limit < nuclei.count {
            var generator = SeededRandom(seed: options.seed)
            nuclei.shuffle(using: &generator)
            nuclei = Array(nuclei.prefix(limit))
        }
        var results: [NucleusResult] = []
        var latencies: [Double] = []
        for (done, nucleus) in nuclei.enumerated() {
            let (name, pair) = pairs[nucleus.pair]
            let (result, times) = try evaluateNucleus(predictor: predictor, pair: pair, id: nucleus.id, name: name, options: options)
            results.append(result)
            latencies += times
            progress(done + 1, nuclei.count)
        }
        return report(results, latencies: latencies)
    }

    /// Runs the robot clicker on one nucleus; returns its result and per-click latencies (ms).
    public static func evaluateNucleus(predictor: InteractivePredictor, pair: LabeledImage, id: UInt32, name: String,
                                       options: NoCOptions) throws(InteractiveError) -> (NucleusResult, [Double]) {
        let labels = pair.labels
        var x0 = Int.max, y0 = Int.max, x1 = 0, y1 = 0, area = 0
        for y in 0..<labels.height {
            for x in 0..<labels.width where labels[x, y] == id {
                x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x + 1); y1 = max(y1, y + 1); area += 1
            }
        }
        let rect = CropRect(x: max(0, x0 - options.viewMargin), y: max(0, y0 - options.viewMargin), width: 0, height: 0)
        let width = min(labels.width, x1 + options.viewMargin) - rect.x, height = min(labels.height, y1 + options.viewMargin) - rect.y
        let view = Crops.crop(pair.image, CropRect(x: rect.x, y: rect.y, width: width, height: height))
        let truth = try! Mask(width: width, height: height,
                              storage: (0..<(width * height)).map { labels[rect.x + $0 % width, rect.y + $0 / width] == id })
        let session = InteractiveSession(image: view, predictor: predictor)
        let judge = BoundaryTolerance(groundTruth: truth, pixels: options.boundaryTolerance)
        var clicker = judge.clicker()
        var ious: [Double] = [], times: [Double] = []
        let clock = ContinuousClock()
        var prediction = Mask(width: width, height: height, repeating: false)
        while ious.count < options.maxClicks {
            guard let click = clicker.nextClick(prediction: prediction) else { break }
            let start = clock.now
            let outcome = try session.click(click, useFBRS: options.useFBRS)
            let d = clock.now - start
            times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15)
            prediction = outcome.mask
            ious.append(judge.intersectionOverUnion(prediction))
            if ious.count >= 5, ious.last! >= 0.90 { break }
        }
        let final = ious.last ?? 1
        while ious.count < options.maxClicks { ious.append(final) }
        func noc(_ threshold: Double) -> Int { (ious.firstIndex { $0 >= threshold }).map { $0 + 1 } ?? options.maxClicks }
        return (NucleusResult(image: name, id: id, area: area, ious: ious, noc85: noc(0.85), noc90: noc(0.90), clicks: times.count,
                              seconds: times.reduce(0, +) / 1000), times)
    }

    static func report(_ results: [NucleusResult], latencies: [Double]) -> NoCReport {
        let n = Double(max(results.count, 1))
        func mean(_ f: (NucleusResult) -> Double) -> Double { results.map(f).reduce(0, +) / n }
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
        }
        return NoCReport(nuclei: results.count, noc85: mean { Double($0.noc85) }, noc90: mean { Double($0.noc90) },
                         miouAt1: mean { $0.ious[0] }, miouAt3: mean { $0.ious[min(2, $0.ious.count - 1)] },
                         miouAt5: mean { $0.ious[min(4, $0.ious.count - 1)] },
                         failed85Fraction: mean { ($0.ious.max() ?? 0) >= 0.85 ? 0 : 1 },
                         spcMs: sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count), p50Ms: percentile(0.5),
                         p99Ms: percentile(0.99), perNucleus: results, byArea: AreaGroup.groups(results))
    }
}
