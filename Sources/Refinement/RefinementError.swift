import Datasets
import Imaging
import Learning

/// Every way training or applying the refiner can fail. Messages name the file or value.
public enum RefinementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Too few or unusable images (none, smaller than a patch).
    case insufficientData(String)
    /// A parameter is outside what training or refinement can take.
    case invalidArgument(String)
    /// A model file that does not fit this refiner (missing tensor, wrong shape, corrupt).
    case incompatibleModel(path: String, detail: String)
    /// The engine failed (non-finite loss, shape error): the run stops at the failing step.
    case learning(LearningError)
    /// Reading or writing images or datasets failed.
    case dataset(DatasetError)
    /// Writing output failed.
    case output(path: String, detail: String)
    /// The caller asked to stop; the last checkpoint (if any) is intact.
    case cancelled(step: Int)

    public var description: String {
        switch self {
        case let .insufficientData(detail): "not enough data to train the refiner: \(detail)"
        case let .invalidArgument(detail): detail
        case let .incompatibleModel(path, detail): "\(path) is not a refiner model of this shape: \(detail)"
        case let .learning(error): error.description
        case let .dataset(error): error.description
        case let .output(path, detail): "cannot write \(path): \(detail)"
        case let .cancelled(step): "refiner training cancelled at step \(step)"
        }
    }
}
