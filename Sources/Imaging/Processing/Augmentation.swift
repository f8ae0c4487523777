import Foundation

/// An image and its instance label map, transformed together.
public struct LabeledImage: Sendable, Equatable {
    public var image: RGBImage
    public var labels: LabelMap

    public init(image: RGBImage, labels: LabelMap) throws(ImagingError) {
        guard image.width == labels.width, image.height == labels.height else {
            throw .sizeMismatch("label map is \(labels.width)×\(labels.height) but the image is \(image.width)×\(image.height)")
        }
        self.image = image
        self.labels = labels
    }

    init(unchecked image: RGBImage, labels: LabelMap) {
        self.image = image
        self.labels = labels
    }
}

/// A 2-D affine map from output pixel coordinates to input pixel coordinates:
/// input = (a·x + b·y + c, d·x + e·y + f). Storing the inverse map means every output
/// pixel is sampled exactly once.
public struct AffineTransform: Sendable, Equatable {
    public var a, b, c, d, e, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    public static let identity = AffineTransform(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    /// Rotates by `radians` (counter-clockwise on screen), scales and shears about the
    /// centre of a width × height image, then translates (in output pixels).
    public static func about(width: Int, height: Int, rotation radians: Double = 0, scale: Double = 1,
                             shear: Double = 0, translationX: Double = 0, translationY: Double = 0) -> AffineTransform {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        // Forward map (input → output) about the centre, y pointing down: a screen
        // counter-clockwise rotation is (x, y) → (x cos + y sin, −x sin + y cos).
        let cosine = cos(radians), sine = sin(radians)
        let fa = scale * cosine, fb = scale * (sine + shear * cosine)
        let fd = -scale * sine, fe = scale * (cosine - shear * sine)
        let det = fa * fe - fb * fd
        let ia = fe / det, ib = -fb / det, id = -fd / det, ie = fa / det
        // input = inverse·(output − centre − t) + centre
        let ox = cx + translationX, oy = cy + translationY
        return AffineTransform(a: ia, b: ib, c: cx - ia * ox - ib * oy,
                               d: id, e: ie, f: cy - id * ox - ie * oy)
    }

    @inline(__always)
    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        (a * x + b * y + c, d * x + e * y + f)
    }
}

/// Geometric augmentation of an image and its labels: the image is sampled bilinearly,
/// labels by nearest neighbour so ids are never blended; outside the input, images read
/// the mirrored border and labels read background.
public enum Augmentation {
    public static func flipHorizontal<Element>(_ grid: Grid<Element>) -> Grid<Element> {
        remap(grid, width: grid.width, height: grid.height) { x, y in (grid.width - 1 - x, y) }
    }

    public static func flipVertical<Element>(_ grid: Grid<Element>) -> Grid<Element> {
        remap(grid, width: grid.width, height: grid.height) { x, y in (x, grid.height - 1 - y) }
    }

    /// Rotates by k quarter turns counter-clockwise (numpy.rot90 on a row-major array).
    public static func rotate90<Element>(_ grid: Grid<Element>, times k: Int) -> Grid<Element> {
        switch ((k % 4) + 4) % 4 {
        case 1: remap(grid, width: grid.height, height: grid.width) { x, y in (grid.width - 1 - y, x) }
        case 2: remap(grid, width: grid.width, height: grid.height) { x, y in (grid.width - 1 - x, grid.height - 1 - y) }
        case 3: remap(grid, width: grid.height, height: grid.width) { x, y in (y, grid.height - 1 - x) }
        default: grid
        }
    }

    public static func flipHorizontal(_ image: RGBImage) -> RGBImage { rgb(flipHorizontal(channels(image))) }

    public static func flipVertical(_ image: RGBImage) -> RGBImage { rgb(flipVertical(channels(image))) }

    public static func flipHorizontal(_ pair: LabeledImage) -> LabeledImage {
        LabeledImage(unchecked: flipHorizontal(pair.image), labels: flipHorizontal(pair.labels))
    }

    public static func flipVertical(_ pair: LabeledImage) -> LabeledImage {
        LabeledImage(unchecked: flipVertical(pair.image), labels: flipVertical(pair.labels))
    }

    public static func rotate90(_ pair: LabeledImage, times k: Int) -> LabeledImage {
        LabeledImage(unchecked: rgb(rotate90(channels(pair.image), times: k)), labels: rotate90(pair.labels, times: k))
    }

    public static func affine(_ pair: LabeledImage, _ transform: AffineTransform) -> LabeledImage {
        warp(pair) { x, y in transform.apply(Double(x), Double(y)) }
    }

    /// Elastic deformation (Simard et al. 2003): uniform random displacements in [−1, 1],
    /// smoothed by a Gaussian of `sigma` pixels and scaled by `alpha` pixels.
    public static func elastic<Generator: RandomNumberGenerator>(
        _ pair: LabeledImage, alpha: Double, sigma: Double, using generator: inout Generator
    ) -> LabeledImage {
        let width = pair.labels.width, height = pair.labels.height
        func field() -> Plane {
            var plane = Plane(width: width, height: height, repeating: 0)
            for index in plane.storage.indices { plane.storage[index] = Float.random(in: -1...1, using: &generator) }
            return GaussianBlur.apply(plane, sigma: sigma, border: .zero)
        }
        let dx = field(), dy = field()
        return warp(pair) { x, y in
            let index = y * width + x
            return (Double(x) + alpha * Double(dx.storage[index]), Double(y) + alpha * Double(dy.storage[index]))
        }
    }

    /// Samples every output pixel at `source(x, y)` in the input.
    static func warp(_ pair: LabeledImage, source: (Int, Int) -> (Double, Double)) -> LabeledImage {
        let width = pair.labels.width, height = pair.labels.height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var labels = LabelMap(width: width, height: height, repeating: 0)
        let border = BorderMode.reflect101
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = source(x, y)
                guard sx.isFinite, sy.isFinite else { continue }
                let nx = Int(sx.rounded()), ny = Int(sy.rounded())
                if nx >= 0, ny >= 0, nx < width, ny < height { labels.storage[y * width + x] = pair.labels.storage[ny * width + nx] }
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = Float(sx - Double(x0)), fy = Float(sy - Double(y0))
                let ax = border.source(x0, count: width)!, bx = border.source(x0 + 1, count: width)!
                let ay = border.source(y0, count: height)!, by = border.source(y0 + 1, count: height)!
                for c in 0..<3 {
                    let p00 = Float(pair.image.pixels[(ay * width + ax) * 3 + c])
                    let p10 = Float(pair.image.pixels[(ay * width + bx) * 3 + c])
                    let p01 = Float(pair.image.pixels[(by * width + ax) * 3 + c])
                    let p11 = Float(pair.image.pixels[(by * width + bx) * 3 + c])
                    let value = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy
                    pixels[(y * width + x) * 3 + c] = UInt8(min(255, max(0, value.rounded())))
                }
            }
        }
        // The buffer has width × height × 3 bytes by construction.
        return LabeledImage(unchecked: try! RGBImage(width: width, height: height, pixels: pixels), labels: labels)
    }

    static func remap<Element>(_ grid: Grid<Element>, width: Int, height: Int,
                               source: (Int, Int) -> (Int, Int)) -> Grid<Element> {
        var values: [Element] = []
        values.reserveCapacity(width * height)
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = source(x, y)
                values.append(grid.storage[sy * grid.width + sx])
            }
        }
        return Grid(width: width, height: height, uncheckedStorage: values)
    }

    /// The image as a grid of RGB triples, so the grid operations move whole pixels.
    static func channels(_ image: RGBImage) -> Grid<SIMD3<UInt8>> {
        var values: [SIMD3<UInt8>] = []
        values.reserveCapacity(image.width * image.height)
        for index in 0..<(image.width * image.height) {
            values.append(SIMD3(image.pixels[3 * index], image.pixels[3 * index + 1], image.pixels[3 * index + 2]))
        }
        return Grid(width: image.width, height: image.height, uncheckedStorage: values)
    }

    static func rgb(_ grid: Grid<SIMD3<UInt8>>) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(grid.count * 3)
        for value in grid.storage { pixels.append(value.x); pixels.append(value.y); pixels.append(value.z) }
        // Three bytes per grid cell by construction.
        return try! RGBImage(width: grid.width, height: grid.height, pixels: pixels)
    }
}
