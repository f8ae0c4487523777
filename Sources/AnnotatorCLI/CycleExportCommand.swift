import ArgumentParser
import Foundation
import Orchestrator

struct CycleExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy out what a project made: the models of a cycle and the annotations accepted so far.",
        discussion: """
        Writes OUT/hovernet.safetensors and OUT/interactive.safetensors (the models of --cycle, by \
        default the last evaluated one), OUT/annotations/ (images/ and instance_masks/ of every crop \
        accepted up to that cycle, a dataset folder) and OUT/export.json. Every file is checked \
        against the hash the project recorded. Then, e.g.: `annotator hovernet infer --model \
        OUT/hovernet.safetensors ...`, `annotator annotate --model OUT/interactive.safetensors ...`, \
        `annotator dataset export --format geojson --data OUT/annotations --out DIR` (QuPath).
        """)

    @OptionGroup var options: ProjectOption

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "The cycle whose models to export. (default: the last evaluated cycle)")
    var cycle: Int?

    @Flag(help: "Print the summary as JSON (as OUT/export.json).")
    var json = false

    func run() async throws {
        let summary = try ProjectExport.export(try options.open(), cycle: cycle, to: URL(fileURLWithPath: out))
        if json {
            try JSONOutput.print(summary)
        } else {
            let scores = summary.dice1.map { dice in
                String(format: "Dice %.4f, AJI %.4f, PQ %.4f", dice, summary.aji ?? 0, summary.pq ?? 0)
            } ?? "not scored: no evaluation set"
            print(String(format: "cycle %d (%@): models and %d annotated crop(s), %d nuclei → %@",
                         summary.cycle, scores, summary.annotatedCrops, summary.nuclei, out))
        }
    }
}
