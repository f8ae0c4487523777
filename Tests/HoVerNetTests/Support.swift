import Foundation
import Imaging
import TestSupport
import XCTest
@testable import HoVerNet

/// A JSON golden from Tests/Fixtures/hovernet (see make_goldens.py there).
func golden(_ name: String) throws -> [String: Any] {
    let url = TestPaths.repository.appendingPathComponent("Tests/Fixtures/hovernet/\(name).json")
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], "bad golden \(name)")
}

func floats(_ object: [String: Any], _ key: String) throws -> [Float] {
    try XCTUnwrap(object[key] as? [Double], "missing \(key)").map(Float.init)
}

/// Disks (centre x, centre y, radius) painted in order; overlaps go to the nearer centre.
func disks(width: Int, height: Int, _ specs: [(Double, Double, Double)]) -> LabelMap {
    var labels = LabelMap(width: width, height: height, repeating: 0)
    for y in 0..<height {
        for x in 0..<width {
            var best: (UInt32, Double)?
            for (index, spec) in specs.enumerated() {
                let d = ((Double(x) - spec.0) * (Double(x) - spec.0) + (Double(y) - spec.1) * (Double(y) - spec.1)).squareRoot()
                if d <= spec.2, best.map({ d < $0.1 }) ?? true { best = (UInt32(index + 1), d) }
            }
            if let best { labels[x, y] = best.0 }
        }
    }
    return labels
}

/// An H&E-like picture of the label map: purple nuclei on pink tissue, with seeded noise.
func syntheticImage(_ labels: LabelMap, seed: UInt64) -> RGBImage {
    var generator = SeededGenerator(seed: seed)
    var pixels = [UInt8](repeating: 0, count: labels.count * 3)
    for i in 0..<labels.count {
        let nucleus = labels.storage[i] != 0
        let base: [Int] = nucleus ? [90, 60, 150] : [230, 170, 200]
        for c in 0..<3 { pixels[i * 3 + c] = UInt8(clamping: base[c] + Int.random(in: -12...12, using: &generator)) }
    }
    return try! RGBImage(width: labels.width, height: labels.height, pixels: pixels)
}

/// A small training set of random disks.
func syntheticSet(count: Int, size: Int, seed: UInt64) throws -> TrainingSet {
    var generator = SeededGenerator(seed: seed)
    var pairs: [LabeledImage] = []
    for index in 0..<count {
        let specs = (0..<5).map { _ in
            (Double.random(in: 6...Double(size - 6), using: &generator), Double.random(in: 6...Double(size - 6), using: &generator),
             Double.random(in: 3.5...6, using: &generator))
        }
        let labels = disks(width: size, height: size, specs)
        pairs.append(try LabeledImage(image: syntheticImage(labels, seed: seed &+ UInt64(index)), labels: labels))
    }
    return try TrainingSet(pairs: pairs)
}

/// A tiny architecture so debug-build tests stay fast.
let tinyConfiguration = HoVerNetConfiguration(widths: [4, 8], encoderConvs: 1, decoderConvs: 1, headWidth: 4)
