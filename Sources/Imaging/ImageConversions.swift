extension RGBImage {
    /// Converts a decoded raster: gray is replicated, alpha is dropped, 16-bit samples are
    /// scaled to 8 bits.
    public init(_ raster: Raster) throws(ImagingError) {
        let count = raster.width * raster.height
        var pixels = [UInt8](repeating: 0, count: count * 3)
        let channels = raster.channels
        func sample(_ index: Int) -> UInt8 {
            switch raster.samples {
            case let .uint8(values): values[index]
            case let .uint16(values): UInt8(values[index] >> 8)
            }
        }
        for pixel in 0..<count {
            let base = pixel * channels
            if channels >= 3 {
                pixels[pixel * 3] = sample(base)
                pixels[pixel * 3 + 1] = sample(base + 1)
                pixels[pixel * 3 + 2] = sample(base + 2)
            } else {
                let gray = sample(base)
                pixels[pixel * 3] = gray
                pixels[pixel * 3 + 1] = gray
                pixels[pixel * 3 + 2] = gray
            }
        }
        try self.init(width: raster.width, height: raster.height, pixels: pixels)
    }

    public var raster: Raster {
        // Sizes were validated when the image was made.
        try! Raster(width: width, height: height, channels: 3, samples: .uint8(pixels))
    }
}

extension Grid where Element == UInt32 {
    /// Reads a label map from a one-channel raster (8 or 16 bits).
    public init(labels raster: Raster) throws(ImagingError) {
        guard raster.channels == 1 else {
            throw .unsupported("a label map must have one channel, this image has \(raster.channels)")
        }
        let values: [UInt32] = switch raster.samples {
        case let .uint8(samples): samples.map { UInt32($0) }
        case let .uint16(samples): samples.map { UInt32($0) }
        }
        try self.init(width: raster.width, height: raster.height, storage: values)
    }

    /// The map as a 16-bit gray raster, the project's label-map file format.
    public func raster16() throws(ImagingError) -> Raster {
        let largest = maxLabel
        guard largest <= UInt32(UInt16.max) else {
            throw .labelOutOfRange("label \(largest) does not fit a 16-bit label map (max 65535)")
        }
        return try Raster(width: width, height: height, channels: 1, samples: .uint16(storage.map { UInt16($0) }))
    }
}
