import ArgumentParser
import Dispatch
import Foundation
import HoVerNetService
import InteractiveService
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
        subcommands: [ServeMetrics.self, ServeHoVerNet.self, ServeInteractive.self, ServeSynthesis.self, ServeRefinement.self, ServeOrchestrator.self])
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

struct ServeHoVerNet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hovernet",
        abstract: "Serve the HoVerNet service (Train as a job, Infer, GetJob/CancelJob/ListJobs).")

    @OptionGroup var options: ServeOptions

    @Option(help: "Folder of the service's model store (models by SHA-256).")
    var store: String = "annotator-artifacts"

    func run() async throws {
        var configuration = HoVerNetService.Configuration()
        configuration.artifactRoot = URL(fileURLWithPath: store)
        let service = try HoVerNetService(configuration)
        try await ServiceHost.run(service.definition, configuration: options.serverConfiguration)
    }
}

struct ServeInteractive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Serve the interactive service (sessions of clicks, SegmentPoints, Train as a job).")

    @OptionGroup var options: ServeOptions

    @Option(help: "Folder of the service's model store (models by SHA-256).")
    var store: String = "annotator-artifacts"

    @Option(help: "Model used when a request names none.")
    var model: String?

    @Option(help: "Live sessions at most.")
    var maxSessions = 16

    @Option(help: "Minutes of inactivity after which a session is closed.")
    var idleMinutes = 10.0

    func run() async throws {
        var configuration = InteractiveService.Configuration()
        configuration.artifactRoot = URL(fileURLWithPath: store)
        configuration.defaultModel = model.map { URL(fileURLWithPath: $0) }
        configuration.sessions.capacity = maxSessions
        configuration.sessions.idleTimeout = .milliseconds(Int64(idleMinutes * 60_000))
        let service = try InteractiveService(configuration)
        try await ServiceHost.run(service.definition, configuration: options.serverConfiguration)
    }
}
