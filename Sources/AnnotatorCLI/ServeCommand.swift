import ArgumentParser
import Dispatch
import Foundation
import MetricsService
import Wire

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a service until SIGTERM or SIGINT.",
        discussion: """
        On SIGTERM/SIGINT the service stops accepting calls (they get UNAVAILABLE), finishes \
        the calls in flight, and exits 0.

        Examples:
          annotator serve metrics --bind tcp://0.0.0.0:5555
          annotator serve metrics --bind ipc:///tmp/metrics.sock
        """,
        subcommands: [ServeMetrics.self, ServeSynthesis.self, ServeRefinement.self])
}

/// Options every `serve` subcommand takes.
struct ServeOptions: ParsableArguments {
    @Option(help: "Endpoint to listen on: tcp://HOST:PORT, ipc:///PATH or inproc://NAME.")
    var bind: String

    @Option(help: "Largest request accepted, in MiB.")
    var maxMessageMib: Int = 256

    @Option(help: "Calls executing at once before new ones get RESOURCE_EXHAUSTED.")
    var maxInFlight: Int = 64

    func validate() throws {
        guard bind.hasPrefix("tcp://") || bind.hasPrefix("ipc://") || bind.hasPrefix("inproc://") else {
            throw ValidationError("--bind must start with tcp://, ipc:// or inproc:// (got '\(bind)')")
        }
        guard maxMessageMib > 0 else { throw ValidationError("--max-message-mib must be positive") }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be positive") }
    }

    var serverConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration(endpoint: bind)
        configuration.maxMessageBytes = maxMessageMib << 20
        configuration.maxInFlight = maxInFlight
        return configuration
    }
}

/// Hosts a service until a termination signal, then drains it.
enum ServiceHost {
    static func run(_ definition: ServiceDefinition, configuration: ServerConfiguration) async throws {
        let server = RPCServer(service: definition, configuration: configuration)
        try server.start()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                configuration.log("\(definition.name): received signal \(number), draining")
                server.beginShutdown()
            }
            source.resume()
            return source
        }
        await server.wait()
        sources.forEach { $0.cancel() }
    }
}

struct ServeMetrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Serve the metrics service (Evaluate: Dice, AJI, AJI+, DQ, SQ, PQ).")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await ServiceHost.run(MetricsService.definition(), configuration: options.serverConfiguration)
    }
}
