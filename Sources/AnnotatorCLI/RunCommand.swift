import ArgumentParser
import Foundation
import HoVerNetService
import InteractiveService
import MetricsService
import Orchestration
import Orchestrator
import Project
import RefinementService
import SynthesisService
import Wire

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the annotation cycle: synthetic data → models → annotate real crops → retrain → evaluate.",
        discussion: """
        The main job. Cycle 1 synthesises training pairs from the unannotated pool, refines \
        them with the GAN refiner and trains the interactive model and HoVerNet on them. Each \
        later cycle chooses the next crop(s) of the pool (most uncertain for HoVerNet, or at \
        random), annotates them with the interactive model and the simulated annotator (which \
        reads the pool's label maps only to decide where to click), adds them to the training \
        set, fine-tunes both models and evaluates HoVerNet on the evaluation set.

        Without an evaluation set (--no-eval, or a pool without label maps and no --eval) the \
        cycles run as usual but are not scored: for a lab's own unlabelled images, annotated \
        with --annotator person; judge the models by the overlays in the report instead.

        With no --pool it runs a short cycle on the sample in Samples/monuseg-mini (split into \
        pool and evaluation images) in a few minutes. Every step is committed to --project; \
        run again (or `annotator cycle resume`) after a kill to continue where it stopped. \
        Services run in this process unless --endpoint SERVICE=URL names remote instances \
        (repeat it for several instances of one service; the orchestrator balances over them).
        """)

    @Option(help: "Pool of real images (images/ + instance_masks/; the masks only guide the simulated annotator). Default: the bundled sample.")
    var pool: String?

    @Option(help: "Evaluation set (images/ + instance_masks/). Default: when the pool has label maps, every third image of it; otherwise none.")
    var eval: String?

    @Flag(help: "Run without an evaluation set: the cycles are not scored.")
    var noEval = false

    @OptionGroup var plan: PlanOptions

    @OptionGroup var connection: CycleConnectionOptions

    @Option(help: "The project file (SQLite); its workspace is the folder beside it named *.files.")
    var project = "annotator-project.sqlite"

    @Flag(help: "Delete an existing project at --project (and its workspace) and start over.")
    var fresh = false

    @Flag(help: "Print the cycles as JSON at the end (progress still goes to standard error).")
    var json = false

    @OptionGroup var annotation: AnnotatorOptions

    @Option(help: "Start from the first --shared-cycles cycles of this other project (same pool, evaluation set and seed), e.g. to compare active and random choice on the same start.")
    var startFrom: String?

    @Option(help: "Cycles taken from --start-from.")
    var sharedCycles = 1

    @Option(help: "Orchestrator service endpoint: run the cycle there (paths must be readable by it) and follow its progress.")
    var orchestrator: String?

    func run() async throws {
        let usingSample = pool == nil
        if usingSample && !FileManager.default.fileExists(atPath: Self.samplePath) {
            throw CLIError("the bundled sample \(Self.samplePath) is not here: run from the repository root or give --pool")
        }
        let poolFolder = URL(fileURLWithPath: pool ?? Self.samplePath).standardizedFileURL
        // Run again after a kill, a project goes on with whoever annotated it so far.
        let existing = !fresh && FileManager.default.fileExists(atPath: project) ? try ProjectStore(path: project) : nil
        let annotator = try annotation.choice(remembered: existing)
        let evalFolder = try evaluationFolder(pool: poolFolder, annotator: annotator)
        let plan = try self.plan.plan(sample: usingSample)
        if let orchestrator {
            guard annotator == .simulated else {
                throw ValidationError("--orchestrator runs the simulated annotator; a person annotates in a local run")
            }
            try await RemoteOrchestration.run(endpoint: orchestrator, project: project, pool: poolFolder, evaluation: evalFolder,
                                              plan: plan, fresh: fresh, json: json)
            return
        }
        let (store, settings) = try ProjectSetup.prepare(project: project, pool: poolFolder, evaluation: evalFolder,
                                                         plan: plan, fresh: fresh)
        let workspace = settings.workspace
        if let startFrom {
            try importHistory(from: startFrom, into: store, settings: settings)
        }
        try annotator.remember(in: store)
        try await CycleExecution.run(settings: settings, store: store, connection: connection, json: json,
                                     person: CycleExecution.person(annotator, workspace: workspace))
    }

    static let samplePath = "Samples/monuseg-mini"

    /// The evaluation set the options ask for (nil: none). A pool that is not here is the
    /// orchestrator's to check, so it keeps the default of splitting the pool.
    private func evaluationFolder(pool: URL, annotator: AnnotatorChoice) throws -> URL? {
        let local = FileManager.default.fileExists(atPath: pool.path)
        let labelled = local && CycleSources.isLabelled(pool)
        if local, !labelled, annotator == .simulated {
            throw CLIError("""
                \(pool.path) lacks label maps, which the simulated annotator reads to place its clicks: \
                annotate yourself with --annotator person (and --no-eval, or a labelled --eval folder)
                """)
        }
        if noEval {
            guard eval == nil else { throw ValidationError("--eval and --no-eval contradict each other: give one") }
            return nil
        }
        if let eval { return URL(fileURLWithPath: eval).standardizedFileURL }
        if !local || labelled { return pool }
        Console.note("\(pool.path) lacks label maps: no evaluation set, so the cycles are not scored (give --eval DIR to score them)")
        return nil
    }

    private func importHistory(from path: String, into store: ProjectStore, settings: RunSettings) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("--start-from \(path) does not exist") }
        let other = try ProjectStore(path: path)
        guard let theirs = try RunSettings.load(from: other) else { throw CLIError("--start-from \(path) has no run settings") }
        guard theirs.sources.pool == settings.sources.pool, theirs.sources.evaluation == settings.sources.evaluation,
              theirs.plan.seed == settings.plan.seed else {
            throw CLIError("--start-from \(path) uses another pool, evaluation set or seed")
        }
        guard sharedCycles >= 1, sharedCycles < settings.plan.cycles else {
            throw ValidationError("--shared-cycles must be at least 1 and below --cycles")
        }
        guard try other.cycles().contains(where: { $0.number == sharedCycles }) else {
            throw CLIError("--start-from \(path) has not finished cycle \(sharedCycles) yet")
        }
        if try store.completedSteps().isEmpty {
            try store.importHistory(from: other, throughCycle: sharedCycles)
            Console.note("took cycles 1…\(sharedCycles) from \(path)")
        }
    }
}

/// The plan's knobs; unset ones take the plan's defaults (or, on the sample, a small plan
/// that finishes in minutes).
struct PlanOptions: ParsableArguments {
    @Option(help: "Cycles to run (cycle 1 = synthetic data only). Default 5; 2 on the sample.")
    var cycles: Int?

    @Option(help: "Side of the real crops annotated per cycle. Default 400; 128 on the sample.")
    var cropSize: Int?

    @Option(help: "Crops annotated per cycle. Default 1.")
    var cropsPerCycle: Int?

    @Option(help: "How crops are chosen: active (most uncertain for HoVerNet) or random. Default active.")
    var selection: CropSelection?

    @Option(help: "Synthetic pairs made in cycle 1. Default 300; 48 on the sample.")
    var syntheticCount: Int?

    @Option(help: "Clicks the simulated annotator may spend per nucleus. Default 2.")
    var clicksPerNucleus: Int?

    @Option(help: "Synthetic pairs (another seed) on which each HoVerNet model's post-processing is tuned, label-free (0 = reference parameters). Default 30; 8 on the sample.")
    var postProcessingValidation: Int?

    @Option(help: "Minutes of GAN refiner training (0 = no refinement). Default 10; 200 steps on the sample.")
    var refinerMinutes: Double?

    @Option(help: "Minutes of interactive training: cycle 1, later cycles. Default 8,3; 500,250 steps on the sample.")
    var interactiveMinutes: String?

    @Option(help: "Minutes of HoVerNet training: cycle 1, later cycles. Default 15,8; 25,16 steps on the sample.")
    var hovernetMinutes: String?

    @Option(help: "Seed of synthesis, training and random choice. Default 0.")
    var seed: UInt64?

    @Option(help: "What the budget options count: minutes (wall clock) or steps (reproducible). Default minutes; steps on the sample.")
    var budgetUnit: BudgetUnit?

    func plan(sample: Bool) throws -> CyclePlan {
        var plan = CyclePlan()
        if sample {
            plan.cycles = 2
            plan.cropSize = 128
            plan.syntheticCount = 48
            plan.mixSyntheticLimit = 48
            plan.postProcessingValidationCount = 8
            plan.budgets = Self.sampleBudgets(budgetUnit ?? .steps)
        }
        if let cycles { plan.cycles = cycles }
        if let cropSize { plan.cropSize = cropSize }
        if let cropsPerCycle { plan.cropsPerCycle = cropsPerCycle }
        if let selection { plan.selection = selection }
        if let syntheticCount { plan.syntheticCount = syntheticCount }
        if let clicksPerNucleus { plan.clicksPerNucleus = clicksPerNucleus }
        if let postProcessingValidation { plan.postProcessingValidationCount = postProcessingValidation }
        if let refinerMinutes { plan.budgets.refinerMinutes = refinerMinutes }
        if let interactiveMinutes {
            (plan.budgets.interactiveFirstMinutes, plan.budgets.interactiveMinutes) = try Self.pair(interactiveMinutes, "--interactive-minutes")
        }
        if let hovernetMinutes {
            (plan.budgets.hovernetFirstMinutes, plan.budgets.hovernetMinutes) = try Self.pair(hovernetMinutes, "--hovernet-minutes")
        }
        if let seed { plan.seed = seed }
        if let budgetUnit { plan.budgets.unit = budgetUnit }
        do {
            try plan.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        return plan
    }

    /// The sample's budgets: by default in steps, so that `make run` prints the same figures
    /// on every run — what a 2-core machine fits in the minutes given with `--budget-unit
    /// minutes` (about 5 minutes in all).
    static func sampleBudgets(_ unit: BudgetUnit) -> StageBudgets {
        var budgets = StageBudgets()
        budgets.unit = unit
        switch unit {
        case .steps:
            budgets.refinerMinutes = 200
            (budgets.interactiveFirstMinutes, budgets.interactiveMinutes) = (500, 250)
            (budgets.hovernetFirstMinutes, budgets.hovernetMinutes) = (25, 16)
        case .minutes:
            budgets.refinerMinutes = 0.5
            (budgets.interactiveFirstMinutes, budgets.interactiveMinutes) = (1, 0.5)
            (budgets.hovernetFirstMinutes, budgets.hovernetMinutes) = (1.5, 1)
        }
        return budgets
    }

    static func pair(_ text: String, _ option: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let first = parts[0], let later = parts[1] else {
            throw ValidationError("\(option): give two numbers of minutes, FIRST,LATER (e.g. 15,8)")
        }
        return (first, later)
    }
}

extension CropSelection: ExpressibleByArgument {}
extension BudgetUnit: ExpressibleByArgument {}

