/// An 8-bit RGB image, channels interleaved, row-major.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width × height × 3 bytes: R, G, B of pixel 0, then pixel 1, ...
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImagingError) {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else {
            throw .sizeMismatch("RGB image of \(width)×\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in 0..<(width * height) {
            pixels[index * 3] = fill.r
            pixels[index * 3 + 1] = fill.g
            pixels[index * 3 + 2] = fill.b
        }
        self.pixels = pixels
    }
}
