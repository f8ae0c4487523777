/// Every way reading, writing or combining images can fail. Messages name what was wrong.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read or written (missing, permissions, disk full).
    case fileAccess(path: String, reason: String)
    /// The bytes are not PNG, TIFF or JPEG.
    case unrecognizedFormat(String)
    /// The bytes claim a format but do not decode (truncated, corrupt).
    case corrupt(format: String, detail: String)
    /// A valid file whose layout this use cannot take (e.g. RGB where a label map is expected).
    case unsupported(String)
    /// Two images, or an image and its buffer, disagree in size.
    case sizeMismatch(String)
    /// A label does not fit the target format (e.g. > 65535 in a 16-bit PNG).
    case labelOutOfRange(String)

    public var description: String {
        switch self {
        case let .fileAccess(path, reason): "cannot access \(path): \(reason)"
        case let .unrecognizedFormat(detail): "unrecognised image format: \(detail)"
        case let .corrupt(format, detail): "corrupt \(format) data: \(detail)"
        case let .unsupported(detail): "unsupported image: \(detail)"
        case let .sizeMismatch(detail): "size mismatch: \(detail)"
        case let .labelOutOfRange(detail): "label out of range: \(detail)"
        }
    }

    /// The same error with the file it came from named in front.
    public func inFile(_ path: String) -> ImagingError {
        switch self {
        case .fileAccess: self
        case let .unrecognizedFormat(detail): .unrecognizedFormat("\(path): \(detail)")
        case let .corrupt(format, detail): .corrupt(format: format, detail: "\(path): \(detail)")
        case let .unsupported(detail): .unsupported("\(path): \(detail)")
        case let .sizeMismatch(detail): .sizeMismatch("\(path): \(detail)")
        case let .labelOutOfRange(detail): .labelOutOfRange("\(path): \(detail)")
        }
    }
}
