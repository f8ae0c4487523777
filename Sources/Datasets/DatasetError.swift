import Imaging

/// Every way loading, importing or exporting a dataset can fail. Messages name the file.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Reading or writing an image failed (see the wrapped error).
    case imaging(ImagingError)
    /// An annotation file is not the XML it should be.
    case invalidAnnotation(path: String, detail: String)
    /// An outline file (GeoJSON, COCO) is not one a label map can be drawn from.
    case invalidOutlines(path: String, format: String, detail: String)
    /// An image has no label map with the same base name.
    case missingMask(image: String, folder: String)
    /// An image and its label map differ in size.
    case sizeMismatch(name: String, image: String, mask: String)
    /// A folder has no usable files.
    case empty(String)
    /// A folder or file could not be listed or written.
    case fileAccess(path: String, reason: String)
    /// A parameter is outside what the operation can take.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .imaging(error): error.description
        case let .invalidAnnotation(path, detail): "\(path): not a valid Aperio annotation file: \(detail)"
        case let .invalidOutlines(path, format, detail): "\(path): not usable \(format): \(detail)"
        case let .missingMask(image, folder): "\(image) has no label map of the same base name in \(folder)"
        case let .sizeMismatch(name, image, mask): "\(name): the image is \(image) but its label map is \(mask)"
        case let .empty(detail): detail
        case let .fileAccess(path, reason): "cannot access \(path): \(reason)"
        case let .invalidArgument(detail): detail
        }
    }
}
