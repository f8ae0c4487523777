import Dispatch

/// Runs CPU-bound work (seconds of inference) on a Dispatch queue instead of Swift's
/// cooperative pool, which has one thread per core and must not be blocked.
public func offload<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(returning: Result { () throws(E) -> T in try work() })
        }
    }
    return try result.get()
}
