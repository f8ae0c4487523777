import CImageCodecs
import Foundation

/// File formats the codecs read (all) and write (PNG and TIFF: JPEG is lossy, so it is only
/// ever an input).
public enum ImageFileFormat: String, Sendable, CaseIterable {
    case png
    case tiff
    case jpeg

    /// Recognises a format by its magic bytes.
    public static func detect(_ data: Data) -> ImageFileFormat? {
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if data.count >= 8, data.prefix(8).elementsEqual(pngSignature) { return .png }
        if data.count >= 4 {
            let head = [UInt8](data.prefix(4))
            if head == [0x49, 0x49, 0x2A, 0x00] || head == [0x4D, 0x4D, 0x00, 0x2A] { return .tiff }
            if head == [0x49, 0x49, 0x2B, 0x00] || head == [0x4D, 0x4D, 0x00, 0x2B] { return .tiff }  // BigTIFF
        }
        if data.count >= 3, data.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "tif", "tiff": self = .tiff
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }
}

/// Samples of a decoded raster, in the file's bit depth.
public enum RasterSamples: Sendable, Equatable {
    case uint8([UInt8])
    case uint16([UInt16])
}

/// A decoded image as the file holds it: any channel count (1–4), 8 or 16 bits.
public struct Raster: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let samples: RasterSamples

    public init(width: Int, height: Int, channels: Int, samples: RasterSamples) throws(ImagingError) {
        let count: Int
        switch samples {
        case let .uint8(values): count = values.count
        case let .uint16(values): count = values.count
        }
        guard width > 0, height > 0, (1...4).contains(channels), count == width * height * channels else {
            throw .sizeMismatch("raster of \(width)×\(height)×\(channels) needs \(max(0, width * height * channels)) samples, got \(count)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    public var bitDepth: Int {
        if case .uint16 = samples { return 16 }
        return 8
    }
}

/// TIFF compression schemes the encoder writes (MoNuSeg uses LZW and PackBits).
public enum TIFFCompression: Int32, Sendable {
    case none = 1
    case lzw = 5
    case packBits = 32773
}

/// Decodes PNG, TIFF and JPEG and encodes PNG and TIFF in memory. Bad input is an error, never
/// a crash.
public enum ImageCodec {
    public static func decode(_ data: Data) throws(ImagingError) -> Raster {
        guard let format = ImageFileFormat.detect(data) else {
            throw .unrecognizedFormat("expected PNG, TIFF or JPEG, the first bytes are \(hexPrefix(data))")
        }
        var raster = ann_raster()
        var message = [CChar](repeating: 0, count: 512)
        let status: Int32 = data.withUnsafeBytes { bytes in
            let base = bytes.bindMemory(to: UInt8.self).baseAddress
            return switch format {
            case .png: ann_png_decode(base, bytes.count, &raster, &message, message.count)
            case .tiff: ann_tiff_decode(base, bytes.count, &raster, &message, message.count)
            case .jpeg: ann_jpeg_decode(base, bytes.count, &raster, &message, message.count)
            }
        }
        guard status == 0, let pixels = raster.pixels else {
            throw .corrupt(format: format.rawValue.uppercased(), detail: Self.text(message))
        }
        defer { ann_free(pixels) }
        let sampleCount = Int(raster.width) * Int(raster.height) * Int(raster.channels)
        let samples: RasterSamples
        if raster.bit_depth == 16 {
            let typed = pixels.bindMemory(to: UInt16.self, capacity: sampleCount)
            samples = .uint16(Array(UnsafeBufferPointer(start: typed, count: sampleCount)))
        } else {
            let typed = pixels.bindMemory(to: UInt8.self, capacity: sampleCount)
            samples = .uint8(Array(UnsafeBufferPointer(start: typed, count: sampleCount)))
        }
        return try Raster(width: Int(raster.width), height: Int(raster.height), channels: Int(raster.channels),
                          samples: samples)
    }

    public static func encodePNG(_ raster: Raster) throws(ImagingError) -> Data {
        try encode(raster, format: "PNG") { base, out, length, message, capacity in
            ann_png_encode(base, UInt32(raster.width), UInt32(raster.height), UInt32(raster.channels),
                           UInt32(raster.bitDepth), out, length, message, capacity)
        }
    }

    public static func encodeTIFF(_ raster: Raster, compression: TIFFCompression = .lzw) throws(ImagingError) -> Data {
        try encode(raster, format: "TIFF") { base, out, length, message, capacity in
            ann_tiff_encode(base, UInt32(raster.width), UInt32(raster.height), UInt32(raster.channels),
                            UInt32(raster.bitDepth), compression.rawValue, out, length, message, capacity)
        }
    }

    private static func encode(
        _ raster: Raster, format: String,
        _ body: (UnsafeRawPointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                 UnsafeMutablePointer<CChar>, Int) -> Int32
    ) throws(ImagingError) -> Data {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 512)
        let status: Int32 = switch raster.samples {
        case let .uint8(values): values.withUnsafeBytes { body($0.baseAddress, &output, &length, &message, message.count) }
        case let .uint16(values): values.withUnsafeBytes { body($0.baseAddress, &output, &length, &message, message.count) }
        }
        guard status == 0, let output else {
            throw .unsupported("cannot encode \(format): \(Self.text(message))")
        }
        defer { ann_free(output) }
        return Data(bytes: output, count: length)
    }

    /// A C message buffer as text (up to its terminating zero).
    private static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexPrefix(_ data: Data) -> String {
        data.isEmpty ? "(empty)" : data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
