/// Why the project file could not be used.
public enum ProjectError: Error, Sendable, CustomStringConvertible {
    /// The file cannot be opened or created (missing folder, permissions, not SQLite).
    case cannotOpen(path: String, reason: String)
    /// A read or write failed (disk full, corrupt file); the transaction was rolled back.
    case storage(String)
    /// A record refers to something the project does not have.
    case notFound(String)
    /// The request conflicts with what the project holds (e.g. importing into a started project).
    case conflict(String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open project \(path): \(reason)"
        case let .storage(detail): "project storage failed (nothing was half-written): \(detail)"
        case let .notFound(detail): detail
        case let .conflict(detail): detail
        }
    }
}
