import Foundation
import Orchestration
import Project
import Synchronization
import TestSupport
import XCTest

/// Stages that record what ran and can fail once at a chosen step.
final class FakeStages: CycleStages {
    let calls = Mutex<[String]>([])
    let failOnce = Mutex<String?>(nil)
    /// Accept the first crop, then fail (a kill in the middle of annotation).
    let failAfterFirstAccept = Mutex<Bool>(false)
    /// A project without an evaluation set: cycles come back unscored.
    let scored: Bool

    init(scored: Bool = true) {
        self.scored = scored
    }

    private func note(_ name: String) throws {
        calls.withLock { $0.append(name) }
        let fail = failOnce.withLock { value -> Bool in
            if value == name { value = nil; return true }
            return false
        }
        if fail { throw CycleError.invalidPlan("injected failure at \(name)") }
    }

    func synthesize(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        try note("synthesize")
        var next = state
        next.syntheticDataset = "/synthetic"
        return next
    }

    func trainRefiner(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        try note("train-refiner")
        var next = state
        next.refinerModel = "refiner"
        return next
    }

    func refine(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        try note("refine")
        var next = state
        next.refinedDataset = "/refined"
        return next
    }

    func selectCrops(_ state: CycleState, cycle: Int, plan: CyclePlan, alreadyAnnotated: Set<CropChoice>) async throws -> CycleState {
        try note("select-crops \(cycle)")
        var next = state
        next.selectedCrops = (0..<plan.cropsPerCycle).map {
            CropChoice(image: "img\(cycle)", x: $0 * 100, y: 0, size: plan.cropSize, score: 1)
        }
        return next
    }

    func annotate(_ state: CycleState, cycle: Int, plan: CyclePlan, accepted: [AcceptedCrop],
                  accept: @Sendable (AcceptedCrop) async throws -> Void) async throws -> CycleState {
        try note("annotate \(cycle)")
        for (index, crop) in state.selectedCrops.enumerated() where !accepted.contains(where: { $0.covers(crop) }) {
            try await accept(AcceptedCrop(crop: crop, instanceMapSHA256: "sha\(cycle)-\(index)", instanceMapPath: "/maps",
                                          nucleusCount: 10, clicks: "[]", clickCount: 12, seconds: 5, modelSHA256: "m",
                                          annotator: "simulated", proposalDice: 0.8, proposalAJI: 0.5 + 0.1 * Double(index)))
            if index == 0, failAfterFirstAccept.withLock({ value in defer { value = false }; return value }) {
                throw CycleError.invalidPlan("killed during annotation")
            }
        }
        var next = state
        next.annotatedDataset = "/annotated"
        return next
    }

    func trainInteractive(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        try note("train-interactive \(cycle)")
        var next = state
        next.interactiveModel = "interactive-\(cycle)"
        return next
    }

    func trainHoVerNet(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        try note("train-hovernet \(cycle)")
        var next = state
        next.hovernetModel = "hovernet-\(cycle)"
        return next
    }

    func evaluate(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleScores? {
        try note("evaluate \(cycle)")
        guard scored else { return nil }
        let value = 0.5 + 0.05 * Double(cycle)
        return CycleScores(dice1: value, dice2: value, aji: value, ajiPlus: value, dq: value, sq: value, pq: value)
    }
}

final class CycleRunnerTests: XCTestCase {
    private func plan(cycles: Int) -> CyclePlan {
        var plan = CyclePlan()
        plan.cycles = cycles
        plan.cropsPerCycle = 2
        return plan
    }

    func testRunsEveryStepInOrderAndRecordsEachCycle() async throws {
        let project = try ProjectStore(path: TestPaths.temporaryDirectory("cycle").appendingPathComponent("p.sqlite").path)
        let stages = FakeStages()
        let cycles = try await CycleRunner(plan: plan(cycles: 3), project: project, stages: stages).run()
        XCTAssertEqual(stages.calls.withLock { $0 }, [
            "synthesize", "train-refiner", "refine", "train-interactive 1", "train-hovernet 1", "evaluate 1",
            "select-crops 2", "annotate 2", "train-interactive 2", "train-hovernet 2", "evaluate 2",
            "select-crops 3", "annotate 3", "train-interactive 3", "train-hovernet 3", "evaluate 3",
        ])
        XCTAssertEqual(cycles.map(\.number), [1, 2, 3])
        XCTAssertEqual(cycles.map(\.clicks), [0, 24, 48])
        XCTAssertEqual(cycles.last?.annotatedNuclei, 40)
        XCTAssertEqual(cycles.last?.hovernetModelSHA256, "hovernet-3")
    }

    func testKilledRunResumesAfterTheLastCompletedStepWithoutDuplicates() async throws {
        let path = TestPaths.temporaryDirectory("cycle").appendingPathComponent("p.sqlite").path
        let stages = FakeStages()
        stages.failAfterFirstAccept.withLock { $0 = true }
        do {
            try await CycleRunner(plan: plan(cycles: 2), project: ProjectStore(path: path), stages: stages).run()
            XCTFail("the injected kill should stop the run")
        } catch {
            XCTAssertTrue("\(error)".contains("annotate"), "\(error)")
        }
        let afterKill = try ProjectStore(path: path)
        XCTAssertEqual(try afterKill.annotations().count, 1, "the crop accepted before the kill is kept")

        stages.calls.withLock { $0 = [] }
        stages.failOnce.withLock { $0 = "train-hovernet 2" }
        do {
            try await CycleRunner(plan: plan(cycles: 2), project: ProjectStore(path: path), stages: stages).run()
            XCTFail("the injected failure should stop the run")
        } catch {}
        stages.calls.withLock { $0 = [] }
        let cycles = try await CycleRunner(plan: plan(cycles: 2), project: ProjectStore(path: path), stages: stages).run()
        XCTAssertEqual(stages.calls.withLock { $0 }, ["train-hovernet 2", "evaluate 2"], "only the unfinished steps run")
        XCTAssertEqual(try ProjectStore(path: path).annotations().count, 2, "each crop stored once")
        XCTAssertEqual(cycles.last?.clicks, 24)
    }

    func testInvalidPlanIsRefusedBeforeAnythingRuns() async throws {
        let project = try ProjectStore(path: TestPaths.temporaryDirectory("cycle").appendingPathComponent("p.sqlite").path)
        var bad = CyclePlan()
        bad.cycles = 0
        do {
            try await CycleRunner(plan: bad, project: project, stages: FakeStages()).run()
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error, .invalidPlan("cycles must be at least 1"))
        }
    }

    func testPlanOfAnEarlierVersionKeepsItsBehaviour() throws {
        // A plan stored before label-free post-processing tuning existed does not start tuning
        // when resumed; every other missing key takes its default.
        let old = try JSONDecoder().decode(CyclePlan.self, from: Data(#"{"cycles": 3}"#.utf8))
        XCTAssertEqual(old.cycles, 3)
        XCTAssertEqual(old.postProcessingValidationCount, 0)
        XCTAssertEqual(old.syntheticCount, CyclePlan().syntheticCount)
        XCTAssertEqual(CyclePlan().postProcessingValidationCount, 30)
        let current = try JSONDecoder().decode(CyclePlan.self, from: try JSONEncoder().encode(CyclePlan()))
        XCTAssertEqual(current, CyclePlan())
        // Model settings stored before the cycle named its HoVerNet learning rate train at
        // the rate they were run with.
        let earlierModels = try JSONDecoder().decode(CyclePlan.self, from: Data(#"{"models": {"hovernetBatchSize": 4}}"#.utf8))
        XCTAssertEqual(earlierModels.models.hovernetBatchSize, 4)
        XCTAssertEqual(earlierModels.models.hovernetLearningRate, 1e-3)
    }
}

final class CropSelectorTests: XCTestCase {
    func testActiveLearningTakesTheMostUncertainOnePerImage() {
        let candidates = [
            CropChoice(image: "a", x: 0, y: 0, size: 400, score: 0.9),
            CropChoice(image: "a", x: 400, y: 0, size: 400, score: 0.8),
            CropChoice(image: "b", x: 0, y: 0, size: 400, score: 0.5),
            CropChoice(image: "c", x: 0, y: 0, size: 400, score: 0.7),
        ]
        var generator = SeededGenerator(seed: 1)
        let chosen = CropSelector.choose(candidates, count: 2, selection: .activeLearning,
                                         excluding: [CropChoice(image: "c", x: 0, y: 0, size: 400, score: 0)],
                                         using: &generator)
        XCTAssertEqual(chosen.map(\.image), ["a", "b"])
        XCTAssertEqual(chosen.first?.score, 0.9)
    }

    func testRandomChoiceIsReproducibleFromTheSeed() {
        let candidates = (0..<20).map { CropChoice(image: "i\($0)", x: 0, y: 0, size: 400, score: 0) }
        var first = SeededGenerator(seed: 7), second = SeededGenerator(seed: 7)
        XCTAssertEqual(CropSelector.choose(candidates, count: 3, selection: .random, excluding: [], using: &first),
                       CropSelector.choose(candidates, count: 3, selection: .random, excluding: [], using: &second))
    }

    func testGridCoversTheImageFlushWithItsBorder() {
        let grid = CropSelector.grid(image: "a", width: 1000, height: 1000, size: 400)
        XCTAssertEqual(grid.count, 9)
        XCTAssertEqual(Set(grid.map(\.x)), [0, 400, 600])
        XCTAssertTrue(CropSelector.grid(image: "a", width: 300, height: 1000, size: 400).isEmpty)
    }
}

final class CycleReportTests: XCTestCase {
    func testReportHasOneRowPerCycleWithTheKeysScriptsReadAndAPlotPerMetric() async throws {
        let project = try ProjectStore(path: TestPaths.temporaryDirectory("report").appendingPathComponent("p.sqlite").path)
        var plan = CyclePlan()
        plan.cycles = 2
        try await CycleRunner(plan: plan, project: project, stages: FakeStages()).run()
        let report = try CycleReport(project: project)
        XCTAssertEqual(report.cycles.map(\.cycle), [1, 2])
        XCTAssertEqual(report.cycles[1].clicks_per_nucleus, 1.2, accuracy: 1e-9)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let rows = try XCTUnwrap(json?["cycles"] as? [[String: Any]])
        for key in ["cycle", "dice1", "aji", "aji_plus", "dq", "sq", "pq", "clicks", "seconds", "proposal_aji"] {
            XCTAssertNotNil(rows[0][key], key)
        }
        let html = report.html(images: [(caption: "crop <1>", path: "overlays/c1.png")])
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 7)
        XCTAssertTrue(html.contains("crop &lt;1&gt;"))
        XCTAssertTrue(report.table.contains("    2  0.6000"))
    }

    func testUnscoredCyclesKeepEveryKeyAsNullAndMarkTheTable() async throws {
        let project = try ProjectStore(path: TestPaths.temporaryDirectory("report").appendingPathComponent("p.sqlite").path)
        var plan = CyclePlan()
        plan.cycles = 2
        try await CycleRunner(plan: plan, project: project, stages: FakeStages(scored: false)).run()
        let report = try CycleReport(project: project)
        XCTAssertEqual(report.cycles.map(\.cycle), [1, 2])
        XCTAssertEqual(report.cycles[1].annotated_nuclei, 10, "the effort is counted as in a scored project")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let rows = try XCTUnwrap(json?["cycles"] as? [[String: Any]])
        for key in ["dice1", "dice2", "aji", "aji_plus", "dq", "sq", "pq"] {
            XCTAssertTrue(rows[1][key] is NSNull, "\(key) is null, not missing")
        }
        XCTAssertTrue(report.table.contains("    2       —"), report.table)
        XCTAssertNil(report.cycles[0].proposal_aji, "no annotation in cycle 1")
        XCTAssertEqual(try XCTUnwrap(report.cycles[1].proposal_aji), 0.5, accuracy: 1e-12)
        XCTAssertTrue(report.table.contains("0.5000"), "the agreement with the proposals is the unscored project's measure")
        XCTAssertTrue(report.table.contains("no evaluation set"))
        let html = report.html()
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 1, "only the agreement with the proposals to plot")
        XCTAssertTrue(html.contains("<td>—</td>"))
    }
}

final class StageBudgetsTests: XCTestCase {
    func testSummaryNamesTheUnitAndEveryStage() {
        var budgets = StageBudgets()
        XCTAssertEqual(budgets.summary, "training budgets in minutes: refiner 10; interactive 8, then 3 per cycle; HoVerNet 15, then 8 per cycle")
        budgets.unit = .steps
        budgets.refinerMinutes = 0
        budgets.interactiveMinutes = 0.5
        XCTAssertEqual(budgets.summary, "training budgets in steps: no refiner; interactive 8, then 0.5 per cycle; HoVerNet 15, then 8 per cycle")
    }
}
