import ArgumentParser
import Foundation
import Wire

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a service answers; exits 0 when it is serving.")

    @Argument(help: "The service's endpoint, e.g. tcp://127.0.0.1:5555.")
    var endpoint: String

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let client = try RPCClient(endpoint: endpoint)
        defer { client.close() }
        let started = ContinuousClock.now
        let response = try await client.health(timeout: .milliseconds(Int(timeout * 1000)))
        let info = try await client.info(timeout: .milliseconds(Int(timeout * 1000)))
        let elapsed = ContinuousClock.now - started
        let status = response.status == .serving ? "SERVING" : response.status == .draining ? "DRAINING" : "UNKNOWN"
        if json {
            struct Health: Encodable {
                let endpoint: String
                let service: String
                let status: String
                let version: String
                let in_flight: UInt32
                let round_trip_ms: Double
            }
            try JSONOutput.print(Health(endpoint: endpoint, service: info.service, status: status, version: info.version,
                                        in_flight: response.inFlight, round_trip_ms: elapsed.milliseconds))
        } else {
            print("\(info.service) at \(endpoint): \(status) (version \(info.version), \(response.inFlight) in flight, \(String(format: "%.2f", elapsed.milliseconds)) ms)")
        }
        if response.status != .serving { throw ExitCode(1) }
    }
}

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a service's name, version, protocol and methods.")

    @Argument(help: "The service's endpoint.")
    var endpoint: String

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let client = try RPCClient(endpoint: endpoint)
        defer { client.close() }
        let info = try await client.info(timeout: .seconds(5))
        if json {
            struct Method: Encodable { let name: String; let idempotent: Bool }
            struct Info: Encodable {
                let service: String
                let version: String
                let protocol_version: UInt32
                let max_message_bytes: UInt64
                let methods: [Method]
            }
            try JSONOutput.print(Info(service: info.service, version: info.version, protocol_version: info.protocolVersion,
                                      max_message_bytes: info.maxMessageBytes,
                                      methods: info.methods.map { Method(name: $0.name, idempotent: $0.idempotent) }))
        } else {
            print("service: \(info.service)\nversion: \(info.version)\nprotocol: annotator/\(info.protocolVersion)")
            print("max message: \(info.maxMessageBytes >> 20) MiB\nmethods:")
            for method in info.methods { print("  \(method.name)\(method.idempotent ? " (idempotent)" : "")") }
        }
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    var microseconds: Double { milliseconds * 1000 }
}
