import ArgumentParser
import Foundation
import Orchestrator

struct CycleAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Score a project's accepted annotations against ground truth for the same images.",
        discussion: """
        Each annotation is compared with the ground-truth label map of its pool image, cropped \
        at the annotation's rectangle (Dice, AJI, PQ as `annotator metrics` computes them), \
        then averaged per cycle and over the project. For simulation studies (how well the \
        robot clicker's masks matched the masks it clicked from) and for checking annotators \
        on images a lab has already labelled. The cycle never reads these scores.

        Ground-truth maps are matched to the pool's images by base name (PNG or TIFF); \
        annotations of images without one are listed unscored.
        """)

    @OptionGroup var options: ProjectOption

    @Option(help: "Folder of ground-truth label maps of the pool's images (e.g. POOL/instance_masks).")
    var gt: String

    @Flag(help: "Print a JSON object with `annotations`, `cycles`, `mean` and `unscored`.")
    var json = false

    func run() async throws {
        let store = try options.open()
        let audit = try AnnotationAudit(project: store, groundTruth: URL(fileURLWithPath: gt))
        if json {
            try JSONOutput.print(audit)
        } else {
            print(audit.table)
        }
    }
}
