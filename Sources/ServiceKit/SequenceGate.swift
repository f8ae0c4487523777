import Wire

/// Applies numbered mutating calls of one session exactly once: the next number runs the
/// change, a retry of the last number gets the stored reply, any gap is refused.
public struct SequenceGate<Reply> {
    public private(set) var sequence: UInt64 = 0
    private var lastReply: Reply?

    public init() {}

    public mutating func apply(_ requested: UInt64, session id: String,
                               _ change: () throws(RPCError) -> Reply) throws(RPCError) -> Reply {
        if requested == sequence, let lastReply { return lastReply }
        guard requested == sequence + 1 else {
            throw .failedPrecondition("session \(id) expects sequence \(sequence + 1), got \(requested)")
        }
        let reply = try change()
        sequence = requested
        lastReply = reply
        return reply
    }
}

extension Duration {
    /// The duration in seconds, for replies and job statuses.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
