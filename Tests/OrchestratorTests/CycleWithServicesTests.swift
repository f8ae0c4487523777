import Datasets
import Foundation
import HoVerNet
import HoVerNetService
import Imaging
import Interactive
import InteractiveService
import MetricsService
import Orchestration
@testable import Orchestrator
import Project
import RefinementService
import SynthesisService
import TestSupport
import Wire
import XCTest

/// Real services in this process for tests: tiny models and budgets of a few steps.
class LiveServicesTestCase: XCTestCase {
    static let sentinel: UInt32 = 40_000

    var servers: [RPCServer] = []
    var root: URL!

    override func tearDown() async throws {
        for server in servers { await server.shutdown() }
        servers = []
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    func start(_ definition: ServiceDefinition) throws -> ServicePool {
        var configuration = ServerConfiguration(endpoint: "inproc://\(definition.name)-\(UUID().uuidString)")
        configuration.log = { _ in }
        let server = RPCServer(service: definition, configuration: configuration)
        servers.append(server)
        return ServicePool(service: definition.name, clients: [try RPCClient(endpoint: try server.start())])
    }

    /// The five cycle services, started here, their models stored under `artifactRoot`.
    func startCycleServices(artifactRoot: URL) throws -> CycleServices {
        var refinement = RefinementService.Configuration(), interactive = InteractiveService.Configuration()
        var hovernet = HoVerNetService.Configuration()
        refinement.artifactRoot = artifactRoot
        interactive.artifactRoot = artifactRoot
        hovernet.artifactRoot = artifactRoot
        return CycleServices(
            synthesis: try start(SynthesisService().definition),
            refinement: try start(try RefinementService(refinement).definition),
            interactive: try start(try InteractiveService(interactive).definition),
            hovernet: try start(try HoVerNetService(hovernet).definition),
            metrics: try start(MetricsService.definition()))
    }

    /// Pool: four sample crops with sentinel labels; evaluation: the other two, untouched.
    func makeSources() throws -> CycleSources {
        let sample = try FolderDataset(root: TestPaths.repository.appendingPathComponent("Samples/monuseg-mini"))
        let pool = root.appendingPathComponent("pool"), evaluation = root.appendingPathComponent("eval")
        for (index, entry) in sample.samples.enumerated() {
            let folder = index < 4 ? pool : evaluation
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
            let pair = try sample.load(entry)
            var labels = pair.labels
            if index < 4 { labels.storage = labels.storage.map { $0 == 0 ? 0 : $0 + Self.sentinel } }
            try ImageFiles.writeRGB(pair.image, to: folder.appendingPathComponent("images/\(entry.name).png"))
            try ImageFiles.writeLabelMap(labels, to: folder.appendingPathComponent("instance_masks/\(entry.name).png"))
        }
        return CycleSources(pool: pool, evaluation: evaluation)
    }

    static func tinyPlan() throws -> CyclePlan {
        var plan = CyclePlan()
        plan.cycles = 2
        plan.cropSize = 128
        plan.syntheticCount = 4
        plan.mixSyntheticLimit = 4
        plan.postProcessingValidationCount = 2
        // Steps, not minutes: the test does the same work however loaded the machine is.
        plan.budgets.unit = .steps
        plan.budgets.refinerMinutes = 3
        plan.budgets.interactiveFirstMinutes = 3
        plan.budgets.interactiveMinutes = 2
        plan.budgets.hovernetFirstMinutes = 3
        plan.budgets.hovernetMinutes = 2
        plan.models.hovernetConfiguration = #"{"widths":[8,16],"encoderConvs":1,"decoderConvs":1,"headWidth":8,"typeClasses":0}"#
        plan.models.hovernetPatchSize = 64
        plan.models.hovernetBatchSize = 2
        var interactive = InteractiveModelConfiguration()
        interactive.inputSize = 32
        interactive.highChannels = 8
        interactive.lowChannels = 8
        interactive.headChannels = 8
        plan.models.interactiveConfiguration = String(decoding: try JSONEncoder().encode(interactive), as: UTF8.self)
        return plan
    }

}

/// Two cycles on the bundled sample with every service running for real (tiny models,
/// budgets of a few steps): the pool's label maps carry a sentinel (labels ≥ 40 000) that
/// would show if any ground-truth pixel reached a training set; a run killed right after
/// an annotation was committed resumes without redoing or doubling anything.
final class CycleWithServicesTests: LiveServicesTestCase {
    func testTheCycleTrainsOnNoGroundTruthAndResumesAfterAKillWithoutDuplicates() async throws {
        root = TestPaths.temporaryDirectory("cycle-services")
        let sources = try makeSources()
        try sources.validate()
        let workspace = Workspace(root: root.appendingPathComponent("project.files"))
        let services = try startCycleServices(artifactRoot: workspace.artifacts)
        defer { services.close() }
        let plan = try Self.tinyPlan()
        let project = try ProjectStore(path: root.appendingPathComponent("project.sqlite").path)
        var stages = ServiceStages(services: services, sources: sources, workspace: workspace)
        stages.pollInterval = .milliseconds(100)

        // First run: killed right after cycle 2's annotation is committed.
        let killed = CycleRunner(plan: plan, project: project, stages: KilledAfterAccept(stages: stages))
        do {
            try await killed.run()
            XCTFail("the run should have been killed")
        } catch {}
        XCTAssertEqual(try project.annotations().count, 1, "the accepted annotation was committed before the kill")
        let cycleOneSteps = try project.completedSteps().filter { $0.cycle == 1 }
        XCTAssertEqual(cycleOneSteps.count, CycleStep.steps(ofCycle: 1).count)

        // Second run resumes: cycle 1 is not redone, the annotation is not doubled.
        let records = try await CycleRunner(plan: plan, project: project, stages: stages).run()
        XCTAssertEqual(records.map(\.number), [1, 2])
        XCTAssertEqual(try project.completedSteps().filter { $0.cycle == 1 }, cycleOneSteps)
        let annotations = try project.annotations()
        XCTAssertEqual(annotations.count, 1)
        XCTAssertEqual(annotations.first?.annotator, "simulated")
        XCTAssertGreaterThan(annotations.first?.clickCount ?? 0, 0)
        XCTAssertNotNil(annotations.first?.proposalAJI, "the annotation is scored against cycle 1's HoVerNet proposal")
        XCTAssertLessThanOrEqual(annotations.first?.clickCount ?? .max, 2 * max(1, annotations.first?.nucleusCount ?? 0) + 40,
                                 "clicks stay within the budget per ground-truth nucleus")
        for record in records {
            let scores = try XCTUnwrap(record.scores, "cycle \(record.number) has an evaluation set, so it is scored")
            XCTAssertTrue((0...1).contains(scores.dice1) && (0...1).contains(scores.aji) && (0...1).contains(scores.pq))
        }

        // Every dataset and model is recorded by digest, with what made it.
        let kinds = Set(try project.artifacts().map(\.kind))
        XCTAssertEqual(kinds, ["synthetic-dataset", "synthetic-validation-dataset", "refiner-model", "refined-dataset",
                               "refined-validation-dataset", "interactive-model", "hovernet-model", "training-mix"])
        // Every HoVerNet model's post-processing was tuned on the refined synthetic validation pairs.
        for model in try project.artifacts() where model.kind == "hovernet-model" {
            XCTAssertNotNil(try Checkpoint.info(at: URL(fileURLWithPath: model.path)).postProcessing, model.path)
        }
        for artifact in try project.artifacts() {
            XCTAssertEqual(artifact.sha256.count, 64)
            XCTAssertGreaterThan(artifact.sizeBytes, 0, artifact.kind)
            XCTAssertTrue(FileManager.default.fileExists(atPath: artifact.path), artifact.path)
        }

        // No training set holds a ground-truth label (the sentinel) or a ground-truth map.
        let labelMaps = try labelMapsUnder(workspace.root)
        XCTAssertGreaterThan(labelMaps.count, 4, "synthetic, annotated and mixed sets were written")
        for url in labelMaps {
            let labels = try ImageFiles.readLabelMap(url)
            XCTAssertFalse(labels.storage.contains { $0 >= Self.sentinel }, "\(url.path) carries a ground-truth label")
        }
        let annotation = try XCTUnwrap(annotations.first)
        let truth = try ImageFiles.readLabelMap(sources.pool.appendingPathComponent("instance_masks/\(annotation.imageName).png"))
        let annotated = try ImageFiles.readLabelMap(URL(fileURLWithPath: annotation.instanceMapPath))
        var same = true
        for y in 0..<annotated.height {
            for x in 0..<annotated.width where (annotated[x, y] != 0) != (truth[annotation.cropX + x, annotation.cropY + y] != 0) {
                same = false
            }
        }
        XCTAssertFalse(same, "the annotated crop must be the interactive model's prediction, not the ground truth")
    }

    /// A lab's own images: no label map anywhere, so no evaluation set and a person (here a
    /// script) annotating. Both cycles complete unscored; the person's nuclei are kept and
    /// each cycle's prediction is drawn for the person to judge.
    func testALabFolderWithoutLabelMapsRunsUnscoredCyclesAnnotatedByAPerson() async throws {
        root = TestPaths.temporaryDirectory("cycle-unlabelled")
        let sample = try FolderDataset(root: TestPaths.repository.appendingPathComponent("Samples/monuseg-mini"))
        let pool = root.appendingPathComponent("pool")
        for entry in sample.samples.prefix(4) {
            try ImageFiles.writeRGB(try sample.loadImage(entry), to: pool.appendingPathComponent("images/\(entry.name).png"))
        }
        let sources = CycleSources(pool: pool, evaluation: nil)
        XCTAssertEqual(try sources.validate().count, 4)
        let workspace = Workspace(root: root.appendingPathComponent("project.files"))
        let services = try startCycleServices(artifactRoot: workspace.artifacts)
        defer { services.close() }
        let project = try ProjectStore(path: root.appendingPathComponent("project.sqlite").path)
        var stages = ServiceStages(services: services, sources: sources, workspace: workspace)
        stages.pollInterval = .milliseconds(100)
        let script = Lines(["p 30,30 90,90", "done"])
        stages.person = PersonAtTerminal(name: "lab", overlayPath: root.appendingPathComponent("current.png").path) { client, model in
            PersonAnnotator(client: client, model: model, readLine: { script.next() }, show: { _, _ in })
        }

        let records = try await CycleRunner(plan: try Self.tinyPlan(), project: project, stages: stages).run()
        XCTAssertEqual(records.map(\.number), [1, 2])
        XCTAssertEqual(records.map(\.scores), [nil, nil])
        let annotation = try XCTUnwrap(try project.annotations().first)
        XCTAssertEqual(annotation.annotator, "person:lab")
        XCTAssertEqual(annotation.clickCount, 2)
        let agreement = try XCTUnwrap(annotation.proposalAJI, "the person's map is scored against HoVerNet's proposal")
        XCTAssertTrue((0...1).contains(agreement))
        let overlays = try FileManager.default.contentsOfDirectory(atPath: workspace.overlays.path)
        XCTAssertTrue(overlays.contains { $0.hasPrefix("cycle2-prediction-") }, "\(overlays)")
    }

    private func labelMapsUnder(_ folder: URL) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        var found: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "png" && url.deletingLastPathComponent().lastPathComponent == "instance_masks" { found.append(url) }
        }
        return found
    }
}

/// Stages that stop the process (by throwing) right after cycle 2's first annotation
/// was accepted, as a kill at the worst moment would.
private struct KilledAfterAccept: CycleStages {
    struct Killed: Error {}
    let stages: ServiceStages

    func synthesize(_ state: CycleState, plan: CyclePlan) async throws -> CycleState { try await stages.synthesize(state, plan: plan) }
    func trainRefiner(_ state: CycleState, plan: CyclePlan) async throws -> CycleState { try await stages.trainRefiner(state, plan: plan) }
    func refine(_ state: CycleState, plan: CyclePlan) async throws -> CycleState { try await stages.refine(state, plan: plan) }
    func selectCrops(_ state: CycleState, cycle: Int, plan: CyclePlan, alreadyAnnotated: Set<CropChoice>) async throws -> CycleState {
        try await stages.selectCrops(state, cycle: cycle, plan: plan, alreadyAnnotated: alreadyAnnotated)
    }
    func annotate(_ state: CycleState, cycle: Int, plan: CyclePlan, accepted: [AcceptedCrop],
                  accept: @Sendable (AcceptedCrop) async throws -> Void) async throws -> CycleState {
        _ = try await stages.annotate(state, cycle: cycle, plan: plan, accepted: accepted, accept: accept)
        throw Killed()
    }
    func trainInteractive(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        try await stages.trainInteractive(state, cycle: cycle, plan: plan)
    }
    func trainHoVerNet(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        try await stages.trainHoVerNet(state, cycle: cycle, plan: plan)
    }
    func evaluate(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleScores? {
        try await stages.evaluate(state, cycle: cycle, plan: plan)
    }
}
