import Datasets
import Imaging
import Learning
import Metrics

/// Every failure of the HoVerNet module. Messages say what was wrong and with which file.
public enum HoVerNetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value outside what the model or the trainer can take.
    case invalidConfiguration(String)
    /// A model file built for another architecture (names both).
    case architectureMismatch(path: String, expected: String, found: String)
    /// A model file without the metadata this module writes (not a HoVerNet checkpoint).
    case notAHoVerNetModel(path: String, detail: String)
    /// A training or validation set without a usable (image, label map) pair.
    case emptyDataset(String)
    /// An input the operation cannot take (empty image, mismatched sizes, ...).
    case invalidInput(String)
    /// Training was cancelled by the caller; the last good checkpoint is kept.
    case cancelled
    case learning(LearningError)
    case imaging(ImagingError)
    case dataset(DatasetError)
    case metrics(String)
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(detail): "hovernet: invalid configuration: \(detail)"
        case let .architectureMismatch(path, expected, found):
            "hovernet: \(path) holds a model of another architecture (file: \(found); expected: \(expected))"
        case let .notAHoVerNetModel(path, detail): "hovernet: \(path) is not a HoVerNet model file: \(detail)"
        case let .emptyDataset(detail): "hovernet: empty dataset: \(detail)"
        case let .invalidInput(detail): "hovernet: invalid input: \(detail)"
        case .cancelled: "hovernet: training cancelled"
        case let .learning(error): "hovernet: \(error)"
        case let .imaging(error): "hovernet: \(error)"
        case let .dataset(error): "hovernet: \(error)"
        case let .metrics(detail): "hovernet: metrics: \(detail)"
        case let .io(path, detail): "hovernet: \(path): \(detail)"
        }
    }
}
