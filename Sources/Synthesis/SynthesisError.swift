import Datasets
import Imaging

/// Every way building a synthetic training set can fail. Messages name the file or the value.
public enum SynthesisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A pool image could not be read (missing, corrupt, not an image).
    case unreadable(path: String, detail: String)
    /// The pool has no image that can be used (none at all, all white, all too small).
    case noUsableImages(String)
    /// A parameter is outside what synthesis can take (count, size, seed range).
    case invalidArgument(String)
    /// Writing the synthetic dataset failed.
    case output(path: String, detail: String)

    public var description: String {
        switch self {
        case let .unreadable(path, detail): "cannot read pool image \(path): \(detail)"
        case let .noUsableImages(detail): "the pool has no usable images: \(detail)"
        case let .invalidArgument(detail): detail
        case let .output(path, detail): "cannot write the synthetic dataset at \(path): \(detail)"
        }
    }
}
