import Foundation
import Wire

/// Sessions of a stateful service (interactive segmentation), as a small state machine
/// over an injected clock so expiry and limits are tested without waiting.
///
/// - `open` refuses with RESOURCE_EXHAUSTED when `capacity` sessions are live (after
///   expiring idle ones).
/// - A session unused for `idleTimeout` expires; calls to it get NOT_FOUND saying so.
/// - Mutating calls carry a sequence number; `apply` runs a change only for the next
///   number, replays the stored reply for a retry of the last one, and refuses gaps.
///
/// Not thread-safe by itself: the owner serialises access (e.g. an actor or a lock).
public struct SessionTable<State, Reply> {
    public struct Configuration: Sendable {
        /// Live sessions at most. Default 16.
        public var capacity = 16
        /// Idle time after which a session is closed. Default 10 minutes.
        public var idleTimeout: Duration = .seconds(600)
        /// How many expired ids are remembered to say "expired" rather than "unknown".
        public var rememberedExpiries = 1024

        public init(capacity: Int = 16, idleTimeout: Duration = .seconds(600)) {
            self.capacity = capacity
            self.idleTimeout = idleTimeout
        }
    }

    struct Entry {
        var state: State
        var lastUsed: ContinuousClock.Instant
        var calls = SequenceGate<Reply>()
    }

    public let configuration: Configuration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var entries: [String: Entry] = [:]
    private var expired: [String] = []

    public init(configuration: Configuration = Configuration(),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.configuration = configuration
        self.now = now
    }

    public var count: Int { entries.count }

    /// Opens a session; returns its id.
    public mutating func open(_ state: State) throws(RPCError) -> String {
        expireIdle()
        guard entries.count < configuration.capacity else {
            throw .resourceExhausted("all \(configuration.capacity) sessions are in use; finish one or retry later")
        }
        let id = UUID().uuidString.lowercased()
        entries[id] = Entry(state: state, lastUsed: now())
        return id
    }

    /// Reads a session's state (touching it).
    public mutating func state(_ id: String) throws(RPCError) -> State {
        try touch(id).state
    }

    /// Applies a mutating call numbered `sequence`.
    public mutating func apply(_ id: String, sequence: UInt64,
                               _ change: (inout State) throws(RPCError) -> Reply) throws(RPCError) -> Reply {
        var entry = try touch(id)
        let reply = try entry.calls.apply(sequence, session: id) { () throws(RPCError) -> Reply in try change(&entry.state) }
        entries[id] = entry
        return reply
    }

    /// Closes a session, returning its final state.
    public mutating func close(_ id: String) throws(RPCError) -> State {
        let entry = try touch(id)
        entries[id] = nil
        return entry.state
    }

    /// Closes sessions idle for longer than the timeout.
    public mutating func expireIdle() {
        let limit = now() - configuration.idleTimeout
        for (id, entry) in entries where entry.lastUsed < limit {
            entries[id] = nil
            expired.append(id)
        }
        if expired.count > configuration.rememberedExpiries {
            expired.removeFirst(expired.count - configuration.rememberedExpiries)
        }
    }

    private mutating func touch(_ id: String) throws(RPCError) -> Entry {
        expireIdle()
        guard var entry = entries[id] else {
            if expired.contains(id) {
                throw .notFound("session \(id) expired after \(configuration.idleTimeout) idle")
            }
            throw .notFound("session '\(id)' does not exist")
        }
        entry.lastUsed = now()
        entries[id] = entry
        return entry
    }
}
