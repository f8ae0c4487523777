import Foundation
import Imaging
import Synthesis
import TestSupport

/// Small H&E-like images: pink stroma with noise and dark purple elliptical nuclei.
enum FakeTissue {
    static func image(width: Int = 160, height: Int = 160, nuclei: Int = 30, seed: UInt64) -> RGBImage {
        var rng = SeededGenerator(seed: seed)
        var image = RGBImage(width: width, height: height, fill: (235, 170, 205))
        for index in 0..<(width * height) {
            let noise = Int.random(in: -12...12, using: &rng)
            image.pixels[3 * index] = UInt8(clamping: 225 + noise)
            image.pixels[3 * index + 1] = UInt8(clamping: 165 + noise)
            image.pixels[3 * index + 2] = UInt8(clamping: 200 + noise)
        }
        for _ in 0..<nuclei {
            let cx = Double.random(in: 0..<Double(width), using: &rng), cy = Double.random(in: 0..<Double(height), using: &rng)
            let a = Double.random(in: 4...8, using: &rng), b = a * Double.random(in: 0.6...1, using: &rng)
            for y in max(0, Int(cy - a) - 1)..<min(height, Int(cy + a) + 2) {
                for x in max(0, Int(cx - a) - 1)..<min(width, Int(cx + a) + 2) {
                    let dx = (Double(x) - cx) / a, dy = (Double(y) - cy) / b
                    guard dx * dx + dy * dy <= 1 else { continue }
                    let noise = Int.random(in: -15...15, using: &rng)
                    let index = y * width + x
                    image.pixels[3 * index] = UInt8(clamping: 85 + noise)
                    image.pixels[3 * index + 1] = UInt8(clamping: 55 + noise)
                    image.pixels[3 * index + 2] = UInt8(clamping: 140 + noise)
                }
            }
        }
        return image
    }

    static func pool(images: Int = 3) throws -> SynthesisPool {
        try SynthesisPool(images: (0..<images).map { ("fake\($0)", image(seed: UInt64($0) + 1)) })
    }
}
