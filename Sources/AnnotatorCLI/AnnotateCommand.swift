import ArgumentParser
import Clients
import Foundation
import Imaging
import InteractiveService
import Orchestrator
import Wire

struct AnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Annotate an image at the terminal with the interactive model: type clicks, watch the overlay.",
        discussion: """
        Open --overlay in an image viewer that reloads on change: the map so far is outlined in \
        green, the nucleus being made in red. Type one command per line on standard input:

        \(AnnotationCommand.usage)

        Start from --proposal (e.g. `annotator hovernet infer` output) to correct a prediction \
        instead of starting from nothing. The end of input saves like `done`, so a script can \
        pipe commands in. Runs the interactive service in-process with --model, or uses a \
        running one with --endpoint.
        """)

    @Option(help: "Image to annotate (PNG, TIFF or JPEG).")
    var image: String

    @Option(help: "Where to write the instance map (16-bit PNG).")
    var out: String

    @Option(help: "Interactive model (.safetensors); required without --endpoint.")
    var model: String?

    @Option(help: "Interactive service endpoint; without it the service runs in this process.")
    var endpoint: String?

    @Option(help: "Label map to start from (same size as the image).")
    var proposal: String?

    @Option(help: "Overlay image rewritten after every command. Default: OUT with -overlay.png.")
    var overlay: String?

    @Flag(help: "Print a JSON summary.")
    var json = false

    func validate() throws {
        guard model != nil || endpoint != nil else { throw ValidationError("give --model (in-process) or --endpoint") }
        guard ImageFileFormat(pathExtension: URL(fileURLWithPath: out).pathExtension) != .jpeg else {
            throw ValidationError("--out \(out): a label map is written as PNG or TIFF, never JPEG (lossy)")
        }
    }

    func run() async throws {
        // The folder must exist before the work starts, not when it is to be saved.
        let outURL = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the folder of --out \(out): \(error.localizedDescription)")
        }
        let picture = try ImageFiles.readRGB(URL(fileURLWithPath: image))
        let start = try proposal.map { try ImageFiles.readLabelMap(URL(fileURLWithPath: $0)) }
        let overlayURL = URL(fileURLWithPath: overlay ?? (out.hasSuffix(".png") ? String(out.dropLast(4)) : out) + "-overlay.png")
        let definition = endpoint == nil ? try Self.embeddedService(model: model) : ServiceDefinition(name: "unused")
        let connection = try ServiceConnection.open(endpoint: endpoint, embedded: definition)
        let reference = try endpoint == nil ? nil : model.map { try RemoteModels.reference(forFile: $0, kind: "interactive-model") }
        let annotator = PersonAnnotator(client: InteractiveClient(rpc: connection.client), model: reference,
                                        readLine: { Swift.readLine() },
                                        show: { image, status in
                                            try? ImageFiles.writeRGB(image, to: overlayURL)
                                            Console.note(status)
                                        })
        Console.note("overlay: \(overlayURL.path)")
        let result: CropAnnotation?
        do {
            result = try await annotator.annotate(image: picture, proposal: start)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        guard let result else { throw CLIError("quit without saving; \(out) was not written") }
        do {
            try ImageFiles.writeLabelMap(result.labels, to: outURL)
        } catch {
            // Keep the work: a person's clicks are not to be thrown away by a full disk or a
            // folder removed meanwhile.
            let rescue = FileManager.default.temporaryDirectory
                .appendingPathComponent("annotation-\(Int(Date().timeIntervalSince1970)).png")
            try ImageFiles.writeLabelMap(result.labels, to: rescue)
            throw CLIError("\(error); the annotation was saved to \(rescue.path) instead")
        }
        if json {
            struct Summary: Encodable { let out: String; let nuclei: Int; let clicks: Int; let seconds: Double }
            try JSONOutput.print(Summary(out: out, nuclei: result.nuclei, clicks: result.clicks.count, seconds: result.seconds))
        } else {
            print(String(format: "%d nuclei, %d clicks in %.0f s → %@", result.nuclei, result.clicks.count, result.seconds, out))
        }
    }

    static func embeddedService(model: String?) throws -> ServiceDefinition {
        var configuration = InteractiveService.Configuration()
        configuration.defaultModel = model.map { URL(fileURLWithPath: $0) }
        return try InteractiveService(configuration).definition
    }
}
