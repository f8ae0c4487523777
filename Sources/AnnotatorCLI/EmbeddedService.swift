import Foundation
import Wire

/// A service hosted in this process on an `inproc://` endpoint, with a client to it: how
/// commands run without --endpoint. The code path is the same as for a remote service.
struct EmbeddedService {
    let server: RPCServer
    let client: RPCClient

    static func start(_ definition: ServiceDefinition) throws -> EmbeddedService {
        var configuration = ServerConfiguration(
            endpoint: "inproc://\(definition.name)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        configuration.log = { _ in }
        let server = RPCServer(service: definition, configuration: configuration)
        let endpoint = try server.start()
        return EmbeddedService(server: server, client: try RPCClient(endpoint: endpoint))
    }

    func stop() async {
        client.close()
        await server.shutdown()
    }
}

/// Either a remote endpoint or an embedded service, for commands taking --endpoint.
struct ServiceConnection {
    let client: RPCClient
    private let embedded: EmbeddedService?

    static func open(endpoint: String?, embedded definition: @autoclosure () -> ServiceDefinition) throws -> ServiceConnection {
        if let endpoint {
            return ServiceConnection(client: try RPCClient(endpoint: endpoint), embedded: nil)
        }
        let service = try EmbeddedService.start(definition())
        return ServiceConnection(client: service.client, embedded: service)
    }

    func close() async {
        client.close()
        await embedded?.stop()
    }
}
