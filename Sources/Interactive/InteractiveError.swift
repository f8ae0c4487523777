import Datasets
import Imaging
import Learning

/// Every failure of the interactive module. Messages name the click, file or argument at
/// fault so the service can map them onto status codes without re-reading the inputs.
public enum InteractiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A click outside the image (the service answers INVALID_ARGUMENT).
    case clickOutsideImage(x: Int, y: Int, width: Int, height: Int)
    /// Undo with no click on the current object, or redo with nothing undone.
    case nothingToUndo
    case nothingToRedo
    /// A weights file that cannot be read, or was written for another architecture.
    case modelFile(path: String, detail: String)
    /// A parameter outside what the operation accepts.
    case invalidArgument(String)
    /// Training was cancelled through its cancellation check.
    case cancelled
    case learning(LearningError)
    case dataset(DatasetError)
    case imaging(ImagingError)

    public var description: String {
        switch self {
        case let .clickOutsideImage(x, y, width, height): "click (\(x), \(y)) is outside the \(width)×\(height) image"
        case .nothingToUndo: "no click to undo on the current object"
        case .nothingToRedo: "no undone click to redo"
        case let .modelFile(path, detail): "\(path): \(detail)"
        case let .invalidArgument(detail): detail
        case .cancelled: "cancelled"
        case let .learning(error): "learning engine: \(error)"
        case let .dataset(error): error.description
        case let .imaging(error): error.description
        }
    }
}

/// Runs engine code and reports its errors as `InteractiveError.learning`.
@inline(__always)
func engine<T>(_ body: () throws(LearningError) -> T) throws(InteractiveError) -> T {
    do { return try body() } catch { throw .learning(error) }
}
