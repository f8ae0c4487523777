import Foundation

/// Every failure the learning engine reports. Messages name the operation, the tensors and
/// their shapes, so a wrong wiring of a model is found from the message alone.
public enum LearningError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Operand shapes do not fit the operation (`op`), e.g. a conv whose input channels
    /// differ from the weight's.
    case shapeMismatch(op: String, detail: String, shapes: [[Int]])
    /// An argument outside the operation's domain (negative stride, empty tensor, ...).
    case invalidArgument(op: String, detail: String)
    /// NaN or ±Inf found where a finite value is required (inputs or a loss).
    case nonFinite(op: String, detail: String)
    /// `backward()` called on a tensor that is not a single value.
    case backwardRequiresScalar(shape: [Int])
    /// A weight file lacks a tensor the model has.
    case missingTensor(name: String)
    /// A weight file holds a tensor of another shape than the model's.
    case tensorShapeMismatch(name: String, expected: [Int], found: [Int])
    /// A weight file holds a tensor in a dtype other than F32.
    case unsupportedDType(name: String, dtype: String)
    /// A weight file that is not valid safetensors (with the reason).
    case malformedFile(detail: String)
    /// Reading or writing a weight file failed.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, detail, shapes):
            return "\(op): \(detail) (shapes \(shapes.map { "\($0)" }.joined(separator: ", ")))"
        case let .invalidArgument(op, detail): return "\(op): \(detail)"
        case let .nonFinite(op, detail): return "\(op): non-finite value: \(detail)"
        case let .backwardRequiresScalar(shape): return "backward: needs a single-value tensor, got shape \(shape)"
        case let .missingTensor(name): return "weights: tensor '\(name)' is missing from the file"
        case let .tensorShapeMismatch(name, expected, found):
            return "weights: tensor '\(name)' has shape \(found) in the file, the model expects \(expected)"
        case let .unsupportedDType(name, dtype): return "weights: tensor '\(name)' has dtype \(dtype), only F32 is supported"
        case let .malformedFile(detail): return "weights: malformed safetensors file: \(detail)"
        case let .io(path, detail): return "weights: \(path): \(detail)"
        }
    }
}

extension LearningError {
    /// A file error as a person reads it ("No such file or directory"), not Foundation's dump.
    static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSCocoaErrorDomain {
            switch error.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return String(cString: strerror(ENOENT))
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return String(cString: strerror(EACCES))
            default: break
            }
        }
        return error.localizedDescription
    }
}
