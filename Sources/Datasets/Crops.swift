import Imaging

/// A rectangle of pixels: [x, x + width) × [y, y + height).
public struct CropRect: Sendable, Equatable, Hashable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
}

public enum Crops {
    /// Tiles covering the whole image with `stride` between origins; the last row and
    /// column are moved back to end at the image edge, so every tile is full-size.
    public static func grid(width: Int, height: Int, size: Int, stride: Int? = nil) throws(DatasetError) -> [CropRect] {
        let step = stride ?? size
        guard size > 0, step > 0 else { throw .invalidArgument("crop size and stride must be positive") }
        guard size <= width, size <= height else {
            throw .invalidArgument("a \(size)×\(size) crop does not fit a \(width)×\(height) image")
        }
        func origins(_ extent: Int) -> [Int] {
            var values = Array(Swift.stride(from: 0, through: extent - size, by: step))
            if values.last != extent - size { values.append(extent - size) }
            return values
        }
        return origins(height).flatMap { y in origins(width).map { x in CropRect(x: x, y: y, width: size, height: size) } }
    }

    /// `count` crops with uniformly random origins.
    public static func random<Generator: RandomNumberGenerator>(
        width: Int, height: Int, size: Int, count: Int, using generator: inout Generator
    ) throws(DatasetError) -> [CropRect] {
        guard size > 0, size <= width, size <= height else {
            throw .invalidArgument("a \(size)×\(size) crop does not fit a \(width)×\(height) image")
        }
        return (0..<max(0, count)).map { _ in
            CropRect(x: Int.random(in: 0...(width - size), using: &generator),
                     y: Int.random(in: 0...(height - size), using: &generator), width: size, height: size)
        }
    }

    public static func crop(_ image: RGBImage, _ rect: CropRect) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(rect.width * rect.height * 3)
        for y in rect.y..<(rect.y + rect.height) {
            let start = (y * image.width + rect.x) * 3
            pixels.append(contentsOf: image.pixels[start..<(start + rect.width * 3)])
        }
        // The slice has rect.width × rect.height × 3 bytes.
        return try! RGBImage(width: rect.width, height: rect.height, pixels: pixels)
    }

    /// Crops image and labels together; labels are renumbered 1...N in raster order so
    /// every crop is a self-contained instance map.
    public static func crop(_ pair: LabeledImage, _ rect: CropRect) throws(DatasetError) -> LabeledImage {
        guard rect.x >= 0, rect.y >= 0, rect.width > 0, rect.height > 0,
              rect.x + rect.width <= pair.labels.width, rect.y + rect.height <= pair.labels.height else {
            throw .invalidArgument("crop \(rect) lies outside the \(pair.labels.width)×\(pair.labels.height) image")
        }
        let labels = pair.labels.cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height).relabeledSequentially()
        // Both come from the same rectangle.
        return try! LabeledImage(image: crop(pair.image, rect), labels: labels)
    }
}
