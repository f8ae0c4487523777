import Wire

/// How a stage retries a service that is down, restarting or too slow: a few attempts
/// with doubling back-off, then an error that names the service.
public struct RetryPolicy: Sendable {
    /// Attempts in all. Default 4.
    public var attempts = 4
    /// Wait before the second attempt; doubles each time. Default 2 s.
    public var initialBackoff: Duration = .seconds(2)

    public init() {}

    /// Statuses worth another attempt: the service is unreachable or restarting (a job it
    /// forgot is NOT_FOUND), or a deadline passed.
    static func isRetryable(_ error: RPCError) -> Bool {
        [.unavailable, .deadlineExceeded, .notFound, .aborted].contains(error.status)
    }

    /// Runs `body`, retrying retryable failures; `note` hears about each retry.
    func run<T>(service: String, what: String, note: (String) -> Void,
                _ body: () async throws -> T) async throws -> T {
        var backoff = initialBackoff
        for attempt in 1...max(1, attempts) {
            do {
                return try await body()
            } catch let error as RPCError where Self.isRetryable(error) && attempt < attempts {
                note("\(service) service: \(what) failed (\(error)); retrying in \(backoff) (attempt \(attempt + 1) of \(attempts))")
                try await Task.sleep(for: backoff)
                backoff *= 2
            } catch let error as RPCError {
                throw StageFailure(service: service, what: what, error: error)
            }
        }
        fatalError("unreachable: the last attempt returns or throws")
    }
}

/// A stage's call to a service failed for good.
public struct StageFailure: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var what: String
    public var error: RPCError

    public var description: String { "\(service) service: \(what) failed: \(error)" }
}
