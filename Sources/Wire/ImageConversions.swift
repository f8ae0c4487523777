import Foundation
import Imaging

/// Conversions between wire messages and the imaging types. Errors name the field.
extension Annotator_V1_LabelMap {
    /// Encodes a label map inline (little-endian uint32 per pixel).
    public init(_ labels: LabelMap, name: String = "") {
        self.init()
        width = UInt32(labels.width)
        height = UInt32(labels.height)
        self.labels = labels.storage.withUnsafeBufferPointer { Data(buffer: $0) }
        self.name = name
    }

    /// Decodes and validates; `field` names the map in error messages.
    public func labelMap(in context: RequestContext? = nil, field: String) throws(RPCError) -> LabelMap {
        let bytes = try context?.bytes(inline: labels, attachment: attachment, field: field) ?? labels
        guard width > 0, height > 0 else {
            throw .invalidArgument("\(field): width and height must be positive (got \(width)×\(height))")
        }
        let pixels = Int(width) * Int(height)
        guard pixels <= 1 << 28 else {
            throw .invalidArgument("\(field): \(width)×\(height) is larger than the limit of 2^28 pixels")
        }
        guard bytes.count == pixels * 4 else {
            throw .invalidArgument("\(field): \(width)×\(height) needs \(pixels * 4) bytes of uint32 labels, got \(bytes.count)")
        }
        var storage = [UInt32](repeating: 0, count: pixels)
        storage.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in target.copyMemory(from: source) }
        }
        for index in storage.indices { storage[index] = UInt32(littleEndian: storage[index]) }
        // Size was checked above, so construction cannot fail.
        return try! LabelMap(width: Int(width), height: Int(height), storage: storage)
    }
}

extension Annotator_V1_Image {
    /// Encodes an RGB image raw, inline.
    public init(_ image: RGBImage, name: String = "") {
        self.init()
        encoding = .raw
        width = UInt32(image.width)
        height = UInt32(image.height)
        channels = 3
        pixelType = .uint8
        data = Data(image.pixels)
        self.name = name
    }

    /// Decodes to RGB: raw 8-bit gray/RGB/RGBA, or PNG/TIFF bytes.
    public func rgbImage(in context: RequestContext? = nil, field: String) throws(RPCError) -> RGBImage {
        let bytes = try context?.bytes(inline: data, attachment: attachment, field: field) ?? data
        switch encoding {
        case .png, .tiff:
            do {
                return try RGBImage(ImageCodec.decode(bytes))
            } catch {
                throw .invalidArgument("\(field): \(error)")
            }
        case .raw:
            guard width > 0, height > 0, (1...4).contains(channels) else {
                throw .invalidArgument("\(field): raw image needs positive width/height and 1-4 channels (got \(width)×\(height)×\(channels))")
            }
            guard pixelType == .uint8 else {
                throw .invalidArgument("\(field): raw images must be uint8, got \(pixelType)")
            }
            let count = Int(width) * Int(height) * Int(channels)
            guard Int(width) * Int(height) <= 1 << 28, bytes.count == count else {
                throw .invalidArgument("\(field): \(width)×\(height)×\(channels) needs \(count) bytes, got \(bytes.count)")
            }
            do {
                let raster = try Raster(width: Int(width), height: Int(height), channels: Int(channels),
                                        samples: .uint8([UInt8](bytes)))
                return try RGBImage(raster)
            } catch {
                throw .invalidArgument("\(field): \(error)")
            }
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("\(field): encoding must be RAW, PNG or TIFF")
        }
    }
}
