/// The closed set of call outcomes, with gRPC's meanings. On the wire each is gRPC's
/// code plus one (zero means unspecified); see Protos/README.md.
public enum RPCStatus: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// The call succeeded.
    case ok = 1
    /// The caller cancelled the call (or closed its client).
    case cancelled = 2
    /// An error with no better code.
    case unknown = 3
    /// The request is malformed or names something invalid: the message says which field.
    case invalidArgument = 4
    /// No reply within the call's deadline; the service may still be working on it.
    case deadlineExceeded = 5
    /// A session, job or artifact that does not exist (or has expired).
    case notFound = 6
    case alreadyExists = 7
    case permissionDenied = 8
    /// A limit was hit: message size, calls in flight, sessions. Retry later or send less.
    case resourceExhausted = 9
    /// The call is valid but the state does not allow it (e.g. undo with nothing to undo).
    case failedPrecondition = 10
    case aborted = 11
    /// A value outside its valid range (e.g. a click outside the image).
    case outOfRange = 12
    /// The service has no such method, or the protocol version is not supported.
    case unimplemented = 13
    /// A bug or an unexpected failure inside the service.
    case `internal` = 14
    /// The service cannot be reached or is shutting down; safe to retry.
    case unavailable = 15
    case dataLoss = 16
    case unauthenticated = 17

    /// Upper-case name as in gRPC, e.g. "INVALID_ARGUMENT".
    public var name: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }

    public var description: String { name }

    init(wire code: Annotator_V1_StatusCode) {
        self = RPCStatus(rawValue: code.rawValue) ?? .unknown
    }

    var wire: Annotator_V1_StatusCode {
        Annotator_V1_StatusCode(rawValue: rawValue) ?? .unknown
    }
}

/// A failed call: its status and a message naming what was wrong.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: RPCStatus
    public var message: String

    public init(_ status: RPCStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.name): \(message)" }

    public static func invalidArgument(_ message: String) -> RPCError { RPCError(.invalidArgument, message) }
    public static func notFound(_ message: String) -> RPCError { RPCError(.notFound, message) }
    public static func outOfRange(_ message: String) -> RPCError { RPCError(.outOfRange, message) }
    public static func failedPrecondition(_ message: String) -> RPCError { RPCError(.failedPrecondition, message) }
    public static func resourceExhausted(_ message: String) -> RPCError { RPCError(.resourceExhausted, message) }
    public static func unavailable(_ message: String) -> RPCError { RPCError(.unavailable, message) }
    public static func `internal`(_ message: String) -> RPCError { RPCError(.internal, message) }
}
