import Synchronization
import Wire

/// The instances of one service the orchestrator may use. Stateless calls (inference,
/// scoring) go round-robin over all of them; stateful work (a training job, a session)
/// stays on the instance that started it.
public final class ServicePool: Sendable {
    public let service: String
    public let clients: [RPCClient]
    private let cursor = Atomic<Int>(0)

    public init(service: String, clients: [RPCClient]) {
        precondition(!clients.isEmpty, "a service pool needs at least one client")
        self.service = service
        self.clients = clients
    }

    /// The next instance in turn.
    public func next() -> RPCClient {
        clients[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % clients.count]
    }

    public func close() {
        clients.forEach { $0.close() }
    }
}

/// One pool per service the cycle uses.
public struct CycleServices: Sendable {
    public var synthesis: ServicePool
    public var refinement: ServicePool
    public var interactive: ServicePool
    public var hovernet: ServicePool
    public var metrics: ServicePool

    public init(synthesis: ServicePool, refinement: ServicePool, interactive: ServicePool, hovernet: ServicePool,
                metrics: ServicePool) {
        self.synthesis = synthesis
        self.refinement = refinement
        self.interactive = interactive
        self.hovernet = hovernet
        self.metrics = metrics
    }

    public func close() {
        [synthesis, refinement, interactive, hovernet, metrics].forEach { $0.close() }
    }
}

/// The services a run uses and how to let go of them (close clients, stop embedded services).
public struct CycleConnection: Sendable {
    public var services: CycleServices
    public var close: @Sendable () async -> Void

    public init(services: CycleServices, close: @escaping @Sendable () async -> Void) {
        self.services = services
        self.close = close
    }
}
