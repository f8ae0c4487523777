import Foundation
import Imaging

/// A square region of the image (image pixel coordinates, may extend past the edges)
/// resampled to the network's `outputSize × outputSize` input. Zooming in on a nucleus
/// makes a 12 px nucleus and a 40 px one fill a similar share of the input, which is what
/// lets a small network segment both.
public struct ZoomWindow: Sendable, Equatable, Hashable {
    /// Top-left corner and side of the region, in image pixels (integers so that crops can
    /// be compared and cached exactly).
    public var x: Int, y: Int, size: Int
    public var outputSize: Int

    public init(x: Int, y: Int, size: Int, outputSize: Int) {
        self.x = x
        self.y = y
        self.size = max(size, 1)
        self.outputSize = outputSize
    }

    /// The window of side `size` centred on (cx, cy).
    public static func centred(x cx: Double, y cy: Double, size: Int, outputSize: Int) -> ZoomWindow {
        ZoomWindow(x: Int((cx - Double(size) / 2).rounded()), y: Int((cy - Double(size) / 2).rounded()),
                   size: size, outputSize: outputSize)
    }

    var scale: Double { Double(outputSize) / Double(size) }

    /// Image pixel (x, y) in network-input coordinates (pixel centres at integers).
    public func toNetwork(x px: Double, y py: Double) -> (u: Double, v: Double) {
        ((px + 0.5 - Double(x)) * scale - 0.5, (py + 0.5 - Double(y)) * scale - 0.5)
    }

    /// Network-input pixel (u, v) in image coordinates.
    func toImage(u: Int, v: Int) -> (x: Double, y: Double) {
        ((Double(u) + 0.5) / scale - 0.5 + Double(x), (Double(v) + 0.5) / scale - 0.5 + Double(y))
    }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && py >= y && px < x + size && py < y + size
    }

    /// The image resampled bilinearly into the window (edges replicated), normalised per
    /// channel, HWC order: `outputSize² × 3` values.
    public func sample(_ image: RGBImage, mean: [Float], std: [Float]) -> [Float] {
        let n = outputSize
        var out = [Float](repeating: 0, count: n * n * 3)
        let taps = (0..<n).map { toImage(u: $0, v: $0) }
        let xTaps = taps.map { Self.tap($0.x, image.width) }, yTaps = taps.map { Self.tap($0.y, image.height) }
        image.pixels.withUnsafeBufferPointer { pixels in
            for v in 0..<n {
                let (y0, y1, fy) = yTaps[v]
                for u in 0..<n {
                    let (x0, x1, fx) = xTaps[u]
                    for c in 0..<3 {
                        let a = Float(pixels[(y0 * image.width + x0) * 3 + c]), b = Float(pixels[(y0 * image.width + x1) * 3 + c])
                        let d = Float(pixels[(y1 * image.width + x0) * 3 + c]), e = Float(pixels[(y1 * image.width + x1) * 3 + c])
                        let value = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy
                        out[(v * n + u) * 3 + c] = (value / 255 - mean[c]) / std[c]
                    }
                }
            }
        }
        return out
    }

    /// Values of `value(x, y)` (image pixels; nil outside the image reads as 0) sampled
    /// bilinearly into the window.
    public func sample(width: Int, height: Int, _ value: (Int, Int) -> Float) -> [Float] {
        let n = outputSize
        var out = [Float](repeating: 0, count: n * n)
        for v in 0..<n {
            for u in 0..<n {
                let p = toImage(u: u, v: v)
                let x0 = Int(p.x.rounded(.down)), y0 = Int(p.y.rounded(.down))
                let fx = Float(p.x - Double(x0)), fy = Float(p.y - Double(y0))
                func at(_ xx: Int, _ yy: Int) -> Float {
                    xx >= 0 && yy >= 0 && xx < width && yy < height ? value(xx, yy) : 0
                }
                out[v * n + u] = (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy)
                    + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
            }
        }
        return out
    }

    /// Whether each window pixel's nearest image pixel satisfies `inside` (for label maps,
    /// where interpolating labels would be meaningless).
    public func sampleNearest(width: Int, height: Int, _ inside: (Int, Int) -> Bool) -> [Float] {
        let n = outputSize
        var out = [Float](repeating: 0, count: n * n)
        for v in 0..<n {
            for u in 0..<n {
                let p = toImage(u: u, v: v)
                let xx = Int(p.x.rounded()), yy = Int(p.y.rounded())
                if xx >= 0, yy >= 0, xx < width, yy < height, inside(xx, yy) { out[v * n + u] = 1 }
            }
        }
        return out
    }

    /// The network's `outputSize²` map read back at image pixel (px, py), bilinearly.
    func readBack(_ map: UnsafeBufferPointer<Float>, x px: Int, y py: Int) -> Float {
        let n = outputSize
        let p = toNetwork(x: Double(px), y: Double(py))
        let u = min(max(p.u, 0), Double(n - 1)), v = min(max(p.v, 0), Double(n - 1))
        let u0 = Int(u), v0 = Int(v), u1 = min(u0 + 1, n - 1), v1 = min(v0 + 1, n - 1)
        let fu = Float(u - Double(u0)), fv = Float(v - Double(v0))
        return (map[v0 * n + u0] * (1 - fu) + map[v0 * n + u1] * fu) * (1 - fv)
            + (map[v1 * n + u0] * (1 - fu) + map[v1 * n + u1] * fu) * fv
    }

    /// The window clipped to the image: the pixels a prediction in this window can change.
    func clipped(width: Int, height: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        (max(0, x), max(0, y), min(width, x + size), min(height, y + size))
    }

    private static func tap(_ position: Double, _ extent: Int) -> (Int, Int, Float) {
        let clamped = min(max(position, 0), Double(extent - 1))
        let low = Int(clamped)
        return (low, min(low + 1, extent - 1), Float(clamped - Double(low)))
    }
}

/// The window sizes a network was trained with (image pixels). Predicting at other scales
/// shows the network nuclei of sizes it never learned, so model files store these and
/// predictors default to them.
public struct TrainingZoom: Codable, Sendable, Equatable {
    /// Windows around a first click were this side ± 12.
    public var firstClickWindow: Int
    /// Windows around a nucleus (bbox × 1.3–2) were at least this side.
    public var minimumWindow: Int

    public init(firstClickWindow: Int, minimumWindow: Int) {
        self.firstClickWindow = firstClickWindow
        self.minimumWindow = minimumWindow
    }

    public init(_ options: PredictorOptions) {
        self.init(firstClickWindow: options.firstClickWindow, minimumWindow: options.minimumWindow)
    }

    /// What models trained before the geometry was stored used.
    public static let legacy = TrainingZoom(firstClickWindow: 64, minimumWindow: 48)
}
