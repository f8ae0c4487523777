import Foundation
import Synchronization
import Wire

/// A service for exercising the runtime: echo, a slow call, a gate that holds calls
/// until opened, and a call that fails.
final class TestService: Sendable {
    let gate = Gate()
    let calls = Atomic<Int>(0)

    var definition: ServiceDefinition {
        var service = ServiceDefinition(name: "test")
        service.method("Echo", idempotent: true) { (request: Annotator_V1_HealthRequest, _) in
            self.calls.add(1, ordering: .relaxed)
            var response = Annotator_V1_HealthResponse()
            response.echo = request.echo
            return response
        }
        service.method("Sleep", idempotent: true) { (request: Annotator_V1_HealthRequest, _) in
            let milliseconds = Int(String(decoding: request.echo, as: UTF8.self)) ?? 100
            try await Task.sleep(for: .milliseconds(milliseconds))
            return Annotator_V1_HealthResponse()
        }
        service.method("Held", idempotent: false) { (_: Annotator_V1_HealthRequest, _) in
            await self.gate.wait()
            return Annotator_V1_HealthResponse()
        }
        service.method("Fail", idempotent: false) { (_: Annotator_V1_HealthRequest, _) -> Annotator_V1_HealthResponse in
            throw RPCError.notFound("session 7 does not exist")
        }
        service.method("Crash", idempotent: false) { (_: Annotator_V1_HealthRequest, _) -> Annotator_V1_HealthResponse in
            struct Oops: Error {}
            throw Oops()
        }
        return service
    }
}

/// Holds callers until opened.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    var waiting: Int { state.withLock { $0.waiters.count } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}

