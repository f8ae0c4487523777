import ArgumentParser
import Foundation
import HoVerNetService
import Imaging
import InteractiveService
import MetricsService
import Orchestration
import Orchestrator
import Project
import RefinementService
import SynthesisService
import Wire

struct CycleConnectionOptions: ParsableArguments {
    @Option(name: .customLong("endpoint"),
            help: "SERVICE=URL of a running service (synthesis, refinement, interactive, hovernet, metrics); repeat for more instances. Services not named run in this process.")
    var endpoints: [String] = []

    static let services = ["synthesis", "refinement", "interactive", "hovernet", "metrics"]

    func parsed() throws -> [String: [String]] {
        var table: [String: [String]] = [:]
        for entry in endpoints {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.services.contains(parts[0]), !parts[1].isEmpty else {
                throw ValidationError("--endpoint \(entry): write SERVICE=URL with SERVICE one of \(Self.services.joined(separator: ", "))")
            }
            table[parts[0], default: []].append(parts[1])
        }
        return table
    }
}

/// Connects the cycle to its services (remote or embedded), runs or resumes it, and
/// writes the report.
enum CycleExecution {
    static func run(settings: RunSettings, store: ProjectStore, connection: CycleConnectionOptions, json: Bool,
                    person: PersonAtTerminal? = nil) async throws {
        let remote = try connection.parsed()
        let connected = try connect(remote: remote, workspace: settings.workspace)
        let services = connected.services
        let where_ = CycleConnectionOptions.services.map { "\($0): \(remote[$0].map { $0.joined(separator: ", ") } ?? "in-process")" }
        Console.note("project \(store.path); workspace \(settings.workspace.root.path)")
        Console.note("services — " + where_.joined(separator: "; "))
        Console.note("annotator: " + (person.map { "\($0.name), at this terminal" } ?? "simulated (the robot clicker)"))
        Console.note(settings.plan.budgets.summary)
        Console.note("pool \(settings.sources.pool.path); evaluation \(settings.sources.evaluation?.path ?? "none (cycles are not scored)")")

        let started = ContinuousClock.now
        let stamp: @Sendable (String) -> Void = { line in
            let elapsed = Int((ContinuousClock.now - started).components.seconds)
            Console.note(String(format: "[%02d:%02d] ", elapsed / 60, elapsed % 60) + line)
        }
        var stages = ServiceStages(services: services, sources: settings.sources, workspace: settings.workspace, note: stamp)
        stages.person = person
        let runner = CycleRunner(plan: settings.plan, project: store, stages: stages, progress: stamp)
        do {
            try await runner.run()
        } catch {
            await connected.close()
            throw CLIError("\(error)\nEverything before this step is kept in \(store.path); run the same command (or `annotator cycle resume`) to continue.")
        }
        await connected.close()

        let report = try CycleReport(project: store)
        let page = try writeReport(report, workspace: settings.workspace, to: settings.workspace.report)
        if json {
            try JSONOutput.print(report)
        } else {
            print(report.table)
            print("report: \(page.path)")
        }
    }

    /// Clients of every service the cycle uses: remote instances where named (a name that
    /// resolves to several addresses counts as several instances), embedded otherwise.
    static func connect(remote: [String: [String]], workspace: Workspace) throws -> CycleConnection {
        var embedded: [EmbeddedService] = []
        func pool(_ name: String, _ definition: () throws -> ServiceDefinition) throws -> ServicePool {
            if let urls = remote[name] {
                let instances = urls.flatMap(EndpointInstances.expand)
                if instances.count > urls.count {
                    Console.note("\(name): \(instances.count) instances (\(instances.joined(separator: ", ")))")
                }
                return ServicePool(service: name, clients: try instances.map { try RPCClient(endpoint: $0) })
            }
            let service = try EmbeddedService.start(try definition())
            embedded.append(service)
            return ServicePool(service: name, clients: [service.client])
        }
        let artifacts = workspace.artifacts
        let services = CycleServices(
            synthesis: try pool("synthesis") { SynthesisService().definition },
            refinement: try pool("refinement") {
                var configuration = RefinementService.Configuration()
                configuration.artifactRoot = artifacts
                return try RefinementService(configuration).definition
            },
            interactive: try pool("interactive") {
                var configuration = InteractiveService.Configuration()
                configuration.artifactRoot = artifacts
                return try InteractiveService(configuration).definition
            },
            hovernet: try pool("hovernet") {
                var configuration = HoVerNetService.Configuration()
                configuration.artifactRoot = artifacts
                return try HoVerNetService(configuration).definition
            },
            metrics: try pool("metrics") { MetricsService.definition() })
        let started = embedded
        return CycleConnection(services: services) {
            services.close()
            for service in started { await service.stop() }
        }
    }

    /// A person at this terminal: commands from standard input, the overlay in the workspace.
    static func person(named name: String, workspace: Workspace) -> PersonAtTerminal {
        let overlay = workspace.overlays.appendingPathComponent("current-annotation.png")
        return PersonAtTerminal(name: name, overlayPath: overlay.path) { client, model in
            PersonAnnotator(client: client, model: model, readLine: { Swift.readLine() }, show: { image, status in
                try? ImageFiles.writeRGB(image, to: overlay)
                Console.note(status)
            })
        }
    }

    /// Writes index.html with the workspace's overlays copied beside it.
    @discardableResult
    static func writeReport(_ report: CycleReport, workspace: Workspace?, to folder: URL) throws -> URL {
        let manager = FileManager.default
        let overlays = folder.appendingPathComponent("overlays")
        try manager.createDirectory(at: overlays, withIntermediateDirectories: true)
        if let workspace, let names = try? manager.contentsOfDirectory(atPath: workspace.overlays.path) {
            for name in names where name.hasSuffix(".png") {
                let target = overlays.appendingPathComponent(name)
                try? manager.removeItem(at: target)
                try manager.copyItem(at: workspace.overlays.appendingPathComponent(name), to: target)
            }
        }
        let images = ((try? manager.contentsOfDirectory(atPath: overlays.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
        let page = folder.appendingPathComponent("index.html")
        try Data(report.html(images: images.map { (caption: $0, path: "overlays/\($0)") }).utf8).write(to: page, options: .atomic)
        return page
    }
}
