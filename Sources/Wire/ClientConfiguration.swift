/// How a client reaches a service. Every field has a documented default.
public struct ClientConfiguration: Sendable {
    /// The service's endpoint (`inproc://`, `ipc://` or `tcp://`). Several endpoints of
    /// instances of one service may be given: calls are spread over them round-robin.
    public var endpoints: [String]
    /// Deadline of a call that sets none. Default 60 s.
    public var defaultTimeout: Duration = .seconds(60)
    /// How long a call waits for a connection to the service before failing UNAVAILABLE.
    /// Default 3 s.
    public var connectTimeout: Duration = .seconds(3)
    public var retry = RetryPolicy()
    /// Largest reply accepted. Default 512 MiB.
    public var maxMessageBytes: Int = 512 << 20

    public init(endpoint: String) {
        self.endpoints = [endpoint]
    }

    public init(endpoints: [String]) {
        precondition(!endpoints.isEmpty, "a client needs at least one endpoint")
        self.endpoints = endpoints
    }
}

/// Retries of idempotent calls that failed UNAVAILABLE (service draining or restarting)
/// or timed out on one attempt, with exponential back-off. Non-idempotent calls are
/// retried only when they were never delivered.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included. Default 3.
    public var maxAttempts = 3
    /// Wait before the first retry; doubled each time up to `maxBackoff`. Default 50 ms.
    public var initialBackoff: Duration = .milliseconds(50)
    /// Default 2 s.
    public var maxBackoff: Duration = .seconds(2)

    public init(maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(2)) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempt) { delay = min(delay * 2, maxBackoff) }
        return min(delay, maxBackoff)
    }
}

/// Per-call settings.
public struct CallOptions: Sendable {
    /// Deadline for the whole call, retries included; nil = the client's default.
    public var timeout: Duration?
    /// May be sent more than once. Default false.
    public var idempotent: Bool
    /// For idempotent calls: resend when one attempt has no reply within this time
    /// (a service that died mid-call). Nil = one attempt waits the whole deadline.
    public var attemptTimeout: Duration?

    public init(timeout: Duration? = nil, idempotent: Bool = false, attemptTimeout: Duration? = nil) {
        self.timeout = timeout
        self.idempotent = idempotent
        self.attemptTimeout = attemptTimeout
    }

    public static let idempotent = CallOptions(idempotent: true)
}
