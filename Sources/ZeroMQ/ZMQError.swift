import CZeroMQ

/// A failed libzmq call: which operation, errno and libzmq's text.
public struct ZMQError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = zmq_errno()) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }

    /// The call would block (EAGAIN): nothing to receive, or no peer to send to.
    public var wouldBlock: Bool { code == EAGAIN }
    /// The context is being terminated.
    public var terminated: Bool { code == ETERM }
}
