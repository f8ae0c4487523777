import ArgumentParser
import Foundation
import RefinementService
import SynthesisService

struct ServeSynthesis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesis",
        abstract: "Serve the synthesis service (Generate: pool + count + seed → synthetic pairs).")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await ServiceHost.run(SynthesisService().definition, configuration: options.serverConfiguration)
    }
}

struct ServeRefinement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refinement",
        abstract: "Serve the refinement service (Train job, Refine, GetJob/CancelJob/ListJobs).")

    @OptionGroup var options: ServeOptions

    @Option(help: "Folder of the service's model store (models by SHA-256).")
    var store: String = "annotator-artifacts"

    func run() async throws {
        var configuration = RefinementService.Configuration()
        configuration.artifactRoot = URL(fileURLWithPath: store)
        try await ServiceHost.run(try RefinementService(configuration).definition, configuration: options.serverConfiguration)
    }
}
