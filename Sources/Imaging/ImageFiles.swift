import Foundation

/// Reading and writing image files; errors name the file.
public enum ImageFiles {
    public static func readData(_ url: URL) throws(ImagingError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw .fileAccess(path: url.path, reason: Self.reason(error))
        }
    }

    /// Writes atomically, making the folder first.
    public static func writeData(_ data: Data, to url: URL) throws(ImagingError) {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw .fileAccess(path: url.path, reason: Self.reason(error))
        }
    }

    public static func readRaster(_ url: URL) throws(ImagingError) -> Raster {
        let data = try readData(url)
        do {
            return try ImageCodec.decode(data)
        } catch {
            throw error.inFile(url.path)
        }
    }

    public static func readRGB(_ url: URL) throws(ImagingError) -> RGBImage {
        let raster = try readRaster(url)
        do {
            return try RGBImage(raster)
        } catch {
            throw error.inFile(url.path)
        }
    }

    public static func readLabelMap(_ url: URL) throws(ImagingError) -> LabelMap {
        let data = try readData(url)
        do throws(ImagingError) {
            // Lossy compression blurs labels into their neighbours' values.
            guard ImageFileFormat.detect(data) != .jpeg else {
                throw ImagingError.unsupported("a label map cannot be a JPEG (lossy compression changes labels): use PNG or TIFF")
            }
            return try LabelMap(labels: ImageCodec.decode(data))
        } catch {
            throw error.inFile(url.path)
        }
    }

    /// Writes PNG or TIFF by the file's extension (PNG when it has neither; never JPEG).
    public static func write(_ raster: Raster, to url: URL) throws(ImagingError) {
        let format = ImageFileFormat(pathExtension: url.pathExtension) ?? .png
        let data = switch format {
        case .png: try ImageCodec.encodePNG(raster)
        case .tiff: try ImageCodec.encodeTIFF(raster)
        case .jpeg: throw ImagingError.unsupported("\(url.path): JPEG is read, not written (it is lossy): name a .png or .tif file")
        }
        try writeData(data, to: url)
    }

    public static func writeLabelMap(_ labels: LabelMap, to url: URL) throws(ImagingError) {
        try write(labels.raster16(), to: url)
    }

    public static func writeRGB(_ image: RGBImage, to url: URL) throws(ImagingError) {
        try write(image.raster, to: url)
    }

    /// Image files in a folder (PNG, TIFF or JPEG by extension), sorted by name.
    public static func listImages(in directory: URL) throws(ImagingError) -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .fileAccess(path: directory.path, reason: "not a readable folder")
        }
        return names.sorted()
            .filter { !$0.hasPrefix(".") && ImageFileFormat(pathExtension: ($0 as NSString).pathExtension) != nil }
            .map { directory.appendingPathComponent($0) }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
