import Artifacts
import Clients
import Datasets
import Foundation
import Imaging
import Orchestration
import Project
import Randomness
import Wire

/// The cycle's steps done by the services, through their clients only: the same code
/// drives services embedded in this process (`inproc://`) or remote instances, several
/// per service (stateless calls go round-robin, jobs and sessions stay on one instance).
/// Files are exchanged as paths on a volume every party can read (the workspace).
public struct ServiceStages: CycleStages {
    public let services: CycleServices
    public let sources: CycleSources
    public let workspace: Workspace
    public var retry = RetryPolicy()
    /// Progress lines (training status, items done).
    public var note: @Sendable (String) -> Void
    /// Seconds between polls of a training job.
    public var pollInterval: Duration = .seconds(2)
    /// When set, a person annotates each crop instead of the simulated annotator.
    public var person: PersonAtTerminal?

    public init(services: CycleServices, sources: CycleSources, workspace: Workspace,
                note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.services = services
        self.sources = sources
        self.workspace = workspace
        self.note = note
    }

    // MARK: Cycle 1: synthetic data

    public func synthesize(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        try workspace.create()
        let output = workspace.synthetic(seed: plan.seed)
        let response = try await generate(count: plan.syntheticCount, seed: plan.seed, into: output)
        note(String(format: "synthesis: %d pairs from %d pool images (nuclei %.0f–%.0f px, median %.0f; coverage %.1f%%) → %@",
                    plan.syntheticCount, response.poolImages, response.minArea, response.maxArea, response.medianArea,
                    100 * response.nuclearCoverage, output.path))
        var next = state
        next.syntheticDataset = output.path
        try next.producedFolder(output, kind: "synthetic-dataset",
                                ["count": "\(plan.syntheticCount)", "seed": "\(plan.seed)", "pool": sources.pool.path])
        if plan.postProcessingValidationCount > 0 {
            let seed = Self.validationSeed(plan)
            let validation = workspace.syntheticValidation(seed: seed)
            _ = try await generate(count: plan.postProcessingValidationCount, seed: seed, into: validation)
            note("synthesis: \(plan.postProcessingValidationCount) validation pairs (seed \(seed)) → \(validation.path)")
            next.validationDataset = validation.path
            try next.producedFolder(validation, kind: "synthetic-validation-dataset",
                                    ["count": "\(plan.postProcessingValidationCount)", "seed": "\(seed)", "pool": sources.pool.path])
        }
        return next
    }

    /// The validation pairs' seed: another stream than the training pairs'.
    static func validationSeed(_ plan: CyclePlan) -> UInt64 { plan.seed &+ 1_000_003 }

    private func generate(count: Int, seed: UInt64, into output: URL) async throws -> Annotator_V1_SynthesisGenerateResponse {
        // A folder left by a run killed before this step was recorded is redone.
        try? FileManager.default.removeItem(at: output)
        var request = Annotator_V1_SynthesisGenerateRequest()
        request.pool.path = sources.pool.path
        request.count = UInt32(count)
        request.seed = seed
        request.outputPath = output.path
        return try await retry.run(service: "synthesis", what: "Generate", note: note) {
            try? FileManager.default.removeItem(at: output)
            return try await SynthesisClient(rpc: services.synthesis.next()).generate(request)
        }
    }

    public func trainRefiner(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        guard plan.budgets.refinerMinutes > 0 else {
            note("refiner: budget 0, refinement skipped")
            return state
        }
        let synthetic = try require(state.syntheticDataset, "synthetic dataset")
        var request = Annotator_V1_RefinerTrainRequest()
        request.pool.path = sources.pool.path
        request.synthetic.path = synthetic
        (request.minutes, request.steps) = Self.budget(plan.budgets.refinerMinutes, plan.budgets.unit)
        request.seed = plan.seed
        let model = try await runJob(services.refinement, what: "refiner training") { rpc in
            try await RefinementClient(rpc: rpc).train(request)
        }
        var next = state
        next.refinerModel = model.sha256
        next.remember(model, ["minutes": "\(plan.budgets.refinerMinutes)", "seed": "\(plan.seed)", "synthetic": synthetic])
        return next
    }

    public func refine(_ state: CycleState, plan: CyclePlan) async throws -> CycleState {
        let synthetic = try require(state.syntheticDataset, "synthetic dataset")
        var next = state
        guard let digest = state.refinerModel else {
            next.refinedDataset = synthetic
            return next
        }
        let model = state.reference(digest, kind: "refiner-model")
        let output = workspace.refined
        try await refineFolder(URL(fileURLWithPath: synthetic), model: model, into: output, weights: true)
        next.refinedDataset = output.path
        try next.producedFolder(output, kind: "refined-dataset", ["refiner": digest, "synthetic": synthetic])
        if let validation = state.validationDataset {
            // The tuning pairs look like the training pairs: refined by the same model.
            let refinedValidation = workspace.refinedValidation
            try await refineFolder(URL(fileURLWithPath: validation), model: model, into: refinedValidation, weights: false)
            next.validationDataset = refinedValidation.path
            try next.producedFolder(refinedValidation, kind: "refined-validation-dataset", ["refiner": digest, "synthetic": validation])
        }
        return next
    }

    /// Refines every image of a folder dataset in batches through the refinement service;
    /// masks are copied; written under a temporary name and renamed into place whole.
    private func refineFolder(_ synthetic: URL, model: Annotator_V1_ArtifactRef, into output: URL, weights wantWeights: Bool) async throws {
        let dataset = try FolderDataset(root: synthetic, requireMasks: true)
        let manager = FileManager.default
        let staging = workspace.root.appendingPathComponent(".\(output.lastPathComponent).partial")
        try? manager.removeItem(at: staging)
        try manager.createDirectory(at: staging.appendingPathComponent("images"), withIntermediateDirectories: true)
        try manager.createDirectory(at: staging.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        var weights: [String: Double] = [:]
        let batch = 16
        for start in stride(from: 0, to: dataset.samples.count, by: batch) {
            let samples = Array(dataset.samples[start..<min(start + batch, dataset.samples.count)])
            let images = try samples.map { try dataset.loadImage($0) }
            let refined = try await retry.run(service: "refinement", what: "Refine", note: note) {
                try await RefinementClient(rpc: services.refinement.next()).refine(images, model: model, weights: wantWeights)
            }
            for (index, sample) in samples.enumerated() {
                try ImageFiles.writeRGB(refined.images[index],
                                        to: staging.appendingPathComponent("images/\(sample.name).png"))
                if let mask = sample.mask {
                    try manager.copyItem(at: mask, to: staging.appendingPathComponent("instance_masks/\(sample.name).png"))
                }
                if index < refined.weights.count { weights[sample.name] = refined.weights[index] }
            }
            note("refinement: \(min(start + batch, dataset.samples.count))/\(dataset.samples.count) images → \(output.lastPathComponent)")
        }
        if wantWeights, !weights.isEmpty {
            try SampleWeights.write(weights, to: staging, details: ["definition": "c*D/(1-D) from the refinement service"])
        }
        try? manager.removeItem(at: output)
        try manager.moveItem(at: staging, to: output)
    }

    // MARK: Later cycles: real crops

    public func selectCrops(_ state: CycleState, cycle: Int, plan: CyclePlan,
                            alreadyAnnotated: Set<CropChoice>) async throws -> CycleState {
        let pool = try FolderDataset(root: sources.pool, requireMasks: false)
        var images: [String: RGBImage] = [:]
        var candidates: [CropChoice] = []
        for sample in pool.samples {
            let image = try pool.loadImage(sample)
            images[sample.name] = image
            for choice in CropSelector.grid(image: sample.name, width: image.width, height: image.height, size: plan.cropSize)
            where !alreadyAnnotated.contains(where: { $0.image == choice.image && $0.x == choice.x && $0.y == choice.y && $0.size == choice.size }) {
                candidates.append(choice)
            }
        }
        guard !candidates.isEmpty else {
            throw CycleSourceError.pool("no crop of \(plan.cropSize)×\(plan.cropSize) is left to annotate in \(sources.pool.path)")
        }
        var scored = candidates
        if plan.selection == .activeLearning, let digest = state.hovernetModel {
            let model = state.reference(digest, kind: "hovernet-model")
            note("selection: scoring \(candidates.count) candidate crops by HoVerNet uncertainty")
            for (index, candidate) in candidates.enumerated() {
                let crop = Crops.crop(images[candidate.image]!, CropRect(x: candidate.x, y: candidate.y,
                                                                         width: plan.cropSize, height: plan.cropSize))
                let result = try await retry.run(service: "hovernet", what: "Infer", note: note) {
                    try await HoVerNetClient(rpc: services.hovernet.next()).infer(crop, name: candidate.image, model: model)
                }
                scored[index].score = result.uncertainty
                if (index + 1) % 25 == 0 { note("selection: \(index + 1)/\(candidates.count) crops scored") }
            }
        }
        var generator = SplitMix64.forItem(cycle, of: plan.seed)
        let chosen = CropSelector.choose(scored, count: plan.cropsPerCycle, selection: plan.selection,
                                         excluding: alreadyAnnotated, using: &generator)
        for crop in chosen {
            note(String(format: "selection: %@ at (%d, %d), uncertainty %.4f", crop.image, crop.x, crop.y, crop.score))
        }
        var next = state
        next.selectedCrops = chosen
        return next
    }

    public func annotate(_ state: CycleState, cycle: Int, plan: CyclePlan, accepted: [AcceptedCrop],
                         accept: @Sendable (AcceptedCrop) async throws -> Void) async throws -> CycleState {
        let digest = try require(state.interactiveModel, "interactive model")
        let model = state.reference(digest, kind: "interactive-model")
        let pool = try FolderDataset(root: sources.pool, requireMasks: false)
        let folder = workspace.annotations
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        var next = state
        for crop in state.selectedCrops {
            if accepted.contains(where: { $0.covers(crop) }) {
                note("annotation: \(crop.image) at (\(crop.x), \(crop.y)) was accepted before the restart; kept")
                continue
            }
            guard let sample = pool.samples.first(where: { $0.name == crop.image }) else {
                throw CycleSourceError.pool("image \(crop.image) is no longer in \(sources.pool.path)")
            }
            let rect = CropRect(x: crop.x, y: crop.y, width: crop.size, height: crop.size)
            let full = try pool.loadImage(sample)
            let image = Crops.crop(full, rect)
            // Only the simulated annotator looks at the ground truth, to place its clicks.
            var truth = LabelMap(width: 0, height: 0, repeating: 0)
            if person == nil {
                guard let maskURL = sample.mask else {
                    throw CycleSourceError.pool("\(crop.image) has no label map: the simulated annotator needs one to decide where to click")
                }
                truth = try Crops.crop(LabeledImage(image: full, labels: try ImageFiles.readLabelMap(maskURL)), rect).labels
            }
            let name = "\(crop.image)_x\(crop.x)_y\(crop.y)_s\(crop.size)"
            let mapURL = folder.appendingPathComponent("instance_masks/\(name).png")
            let client = InteractiveClient(rpc: services.interactive.next())
            let result: CropAnnotation
            let who: String
            let proposal = try await proposal(for: image, state: state)
            if let person {
                note("annotation: \(name) — \(person.name), please annotate (overlay: \(person.overlayPath))")
                guard let done = try await person.make(client, model).annotate(image: image, proposal: proposal) else {
                    throw CycleSourceError.pool("annotation of \(name) abandoned by \(person.name); run again to continue")
                }
                (result, who) = (done, "person:\(person.name)")
            } else {
                let annotator = SimulatedAnnotator(client: client, model: model, clicksPerNucleus: plan.clicksPerNucleus)
                result = try await retry.run(service: "interactive", what: "annotation of \(crop.image)", note: note) {
                    try await annotator.annotate(image: image, groundTruth: truth)
                }
                who = "simulated"
            }
            try ImageFiles.writeRGB(image, to: folder.appendingPathComponent("images/\(name).png"))
            try ImageFiles.writeLabelMap(result.labels, to: mapURL)
            try? ImageFiles.writeRGB(try Overlay.outlines(image, result.labels),
                                     to: workspace.overlays.appendingPathComponent("cycle\(cycle)-annotated-\(name).png"))
            let clicks = String(decoding: try JSONEncoder().encode(result.clicks), as: UTF8.self)
            let agreement = await agreement(groundTruth: result.labels, prediction: proposal, name: name, what: "the proposal")
            try await accept(AcceptedCrop(crop: crop, instanceMapSHA256: SHA256.hex(of: try Data(contentsOf: mapURL)),
                                          instanceMapPath: mapURL.path, nucleusCount: result.nuclei, clicks: clicks,
                                          clickCount: result.clicks.count, seconds: result.seconds, modelSHA256: digest,
                                          annotator: who, proposalDice: agreement?.dice, proposalAJI: agreement?.aji))
            // The robot's masks against the masks it clicked from: how good the accepted labels are
            // (shown only, once the crop is accepted; `annotator cycle audit` scores a whole project this way).
            let truthAgreement = person == nil
                ? await self.agreement(groundTruth: truth, prediction: result.labels, name: name, what: "the ground truth") : nil
            note(String(format: "annotation: %@ — %d nuclei with %d clicks (%.2f per nucleus) in %.1f s%@%@", name, result.nuclei,
                        result.clicks.count, result.nuclei > 0 ? Double(result.clicks.count) / Double(result.nuclei) : 0,
                        result.seconds, agreement.map { String(format: "; HoVerNet's proposal agreed: AJI %.3f", $0.aji) } ?? "",
                        truthAgreement.map { String(format: "; against the ground truth: AJI %.3f", $0.aji) } ?? ""))
        }
        next.annotatedDataset = folder.path
        return next
    }

    // MARK: Training and evaluation

    public func trainInteractive(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        let minutes = cycle == 1 ? plan.budgets.interactiveFirstMinutes : plan.budgets.interactiveMinutes
        guard minutes > 0 else { return state }
        let data = try trainingData(state, cycle: cycle, plan: plan)
        var request = Annotator_V1_InteractiveTrainRequest()
        request.data.path = data
        (request.minutes, request.steps) = Self.budget(minutes, plan.budgets.unit)
        request.seed = plan.seed &+ UInt64(cycle)
        request.configurationJson = plan.models.interactiveConfiguration
        if let previous = state.interactiveModel { request.initModel = state.reference(previous, kind: "interactive-model") }
        let model = try await runJob(services.interactive, what: "interactive training") { rpc in
            try await InteractiveClient(rpc: rpc).train(request)
        }
        var next = state
        next.interactiveModel = model.sha256
        next.remember(model, ["cycle": "\(cycle)", "minutes": "\(minutes)", "data": data, "init": state.interactiveModel ?? ""])
        if cycle > 1 { try next.producedFolder(URL(fileURLWithPath: data), kind: "training-mix", ["cycle": "\(cycle)"]) }
        return next
    }

    public func trainHoVerNet(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState {
        let minutes = cycle == 1 ? plan.budgets.hovernetFirstMinutes : plan.budgets.hovernetMinutes
        guard minutes > 0 else { return state }
        let data = try trainingData(state, cycle: cycle, plan: plan)
        var request = Annotator_V1_HoVerNetTrainRequest()
        request.data.path = data
        (request.minutes, request.steps) = Self.budget(minutes, plan.budgets.unit)
        request.seed = plan.seed &+ UInt64(cycle)
        request.configurationJson = plan.models.hovernetConfiguration
        request.patchSize = UInt32(plan.models.hovernetPatchSize)
        request.batchSize = UInt32(plan.models.hovernetBatchSize)
        request.learningRate = plan.models.hovernetLearningRate
        if let previous = state.hovernetModel { request.initModel = state.reference(previous, kind: "hovernet-model") }
        if let validation = state.validationDataset {
            // Validated once, at the end, then its post-processing tuned on those pairs.
            request.validation.path = validation
            request.validationEvery = UInt32(Int32.max)
            request.tunePostProcessing = true
        }
        let model = try await runJob(services.hovernet, what: "HoVerNet training") { rpc in
            try await HoVerNetClient(rpc: rpc).train(request)
        }
        var next = state
        next.hovernetModel = model.sha256
        next.remember(model, ["cycle": "\(cycle)", "minutes": "\(minutes)", "data": data, "init": state.hovernetModel ?? ""])
        return next
    }

    public func evaluate(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleScores? {
        let digest = try require(state.hovernetModel, "HoVerNet model")
        let model = state.reference(digest, kind: "hovernet-model")
        guard let evaluation = sources.evaluation else {
            try await showPrediction(model: model, cycle: cycle)
            return nil
        }
        let dataset = try FolderDataset(root: evaluation, requireMasks: true)
        var pairs: [(name: String, groundTruth: LabelMap, prediction: LabelMap)] = []
        for (index, sample) in dataset.samples.enumerated() {
            let pair = try dataset.load(sample)
            let result = try await retry.run(service: "hovernet", what: "Infer", note: note) {
                try await HoVerNetClient(rpc: services.hovernet.next()).infer(pair.image, name: sample.name, model: model)
            }
            pairs.append((sample.name, pair.labels, result.labels))
            if index == 0 {
                try? ImageFiles.writeRGB(try Overlay.outlines(pair.image, result.labels),
                                         to: workspace.overlays.appendingPathComponent("cycle\(cycle)-prediction-\(sample.name).png"))
            }
            note("evaluation: \(index + 1)/\(dataset.samples.count) images segmented")
        }
        let report = try await retry.run(service: "metrics", what: "Evaluate", note: note) {
            try await MetricsClient(rpc: services.metrics.next()).evaluate(pairs)
        }
        guard let mean = report.mean else { throw StageFailure(service: "metrics", what: "Evaluate", error: RPCError(.internal, "no image was scored")) }
        note(String(format: "evaluation: Dice %.4f  AJI %.4f  PQ %.4f on %d images", mean.dice1, mean.aji, mean.pq, pairs.count))
        return CycleScores(dice1: mean.dice1, dice2: mean.dice2, aji: mean.aji, ajiPlus: mean.ajiPlus,
                           dq: mean.dq, sq: mean.sq, pq: mean.pq)
    }

    /// Without an evaluation set a person judges the model by eye: its segmentation of the
    /// first pool image, outlined, goes to the overlays (and the report).
    private func showPrediction(model: Annotator_V1_ArtifactRef, cycle: Int) async throws {
        let pool = try FolderDataset(root: sources.pool, requireMasks: false)
        guard let sample = pool.samples.first else { return }
        let image = try pool.loadImage(sample)
        let result = try await retry.run(service: "hovernet", what: "Infer", note: note) {
            try await HoVerNetClient(rpc: services.hovernet.next()).infer(image, name: sample.name, model: model)
        }
        let overlay = workspace.overlays.appendingPathComponent("cycle\(cycle)-prediction-\(sample.name).png")
        try? ImageFiles.writeRGB(try Overlay.outlines(image, result.labels), to: overlay)
        let nuclei = result.labels.areas().dropFirst().filter { $0 > 0 }.count
        note("evaluation: no evaluation set, cycle not scored; \(nuclei) nuclei found in pool image \(sample.name) → \(overlay.path)")
    }

    // MARK: Helpers

    /// A stage's budget as the services take it: minutes, or whole steps.
    static func budget(_ value: Double, _ unit: BudgetUnit) -> (minutes: Double, steps: UInt32) {
        unit == .minutes ? (value, 0) : (0, UInt32(max(1, value.rounded())))
    }

    /// The current HoVerNet's segmentation of a crop, as a starting point for a person.
    private func proposal(for image: RGBImage, state: CycleState) async throws -> LabelMap? {
        guard let digest = state.hovernetModel else { return nil }
        let model = state.reference(digest, kind: "hovernet-model")
        return try await retry.run(service: "hovernet", what: "Infer", note: note) {
            try await HoVerNetClient(rpc: services.hovernet.next()).infer(image, model: model).labels
        }
    }

    /// One map scored against another by the metrics service: HoVerNet's proposal for the
    /// crop against the accepted map (how much the annotator had to correct a model that had
    /// not seen it, the progress measure of a project without an evaluation set), or the
    /// simulated annotator's map against the ground truth it clicked from. Nil without a
    /// prediction or with nothing in either, and when the metrics service fails: the
    /// annotation matters more than its score.
    private func agreement(groundTruth: LabelMap, prediction: LabelMap?, name: String,
                           what: String) async -> (dice: Double, aji: Double)? {
        guard let prediction, groundTruth.maxLabel > 0 || prediction.maxLabel > 0 else { return nil }
        do {
            let report = try await retry.run(service: "metrics", what: "Evaluate", note: note) {
                try await MetricsClient(rpc: services.metrics.next()).evaluate([(name, groundTruth, prediction)])
            }
            return report.mean.map { ($0.dice1, $0.aji) }
        } catch {
            note("annotation: \(name) kept without its agreement with \(what) (\(error))")
            return nil
        }
    }

    /// Cycle 1 trains on the (refined) synthetic set; later cycles on the mix of it and
    /// every accepted annotation.
    private func trainingData(_ state: CycleState, cycle: Int, plan: CyclePlan) throws -> String {
        let synthetic = try require(state.refinedDataset ?? state.syntheticDataset, "synthetic dataset")
        guard cycle > 1, let annotated = state.annotatedDataset else { return synthetic }
        // Both trainings of a cycle share one mix (it only changes with the annotations,
        // which are done by then; it is renamed into place whole).
        let mix = workspace.trainingMix(cycle: cycle)
        if FileManager.default.fileExists(atPath: mix.path) { return mix.path }
        return try TrainingMix.build(synthetic: URL(fileURLWithPath: synthetic), annotated: URL(fileURLWithPath: annotated),
                                     destination: workspace.trainingMix(cycle: cycle), syntheticLimit: plan.mixSyntheticLimit,
                                     realShare: plan.realShare).path
    }

    /// Starts a job on one instance and waits on that instance; a lost job (the service
    /// restarted) or an unreachable service starts it again after a back-off.
    private func runJob(_ pool: ServicePool, what: String,
                        start: @escaping (RPCClient) async throws -> Annotator_V1_JobStatus) async throws -> Annotator_V1_ArtifactRef {
        let note = self.note
        return try await retry.run(service: pool.service, what: what, note: note) {
            let rpc = pool.next()
            let started = try await start(rpc)
            let lastPrint = LastPrint()
            return try await JobsClient(rpc: rpc).result(of: started, every: pollInterval) { status in
                guard lastPrint.due() else { return }
                note(String(format: "%@: %3.0f%%  %@  (elapsed %.0f s)", what, 100 * status.progress, status.message, status.elapsedSeconds))
            }
        }
    }

    private func require(_ value: String?, _ what: String) throws -> String {
        guard let value else { throw CycleSourceError.pool("no \(what) yet: an earlier step did not produce it") }
        return value
    }
}

/// Rate limit for progress lines of long jobs: one every 15 s.
private final class LastPrint: @unchecked Sendable {
    private var last: ContinuousClock.Instant?
    func due() -> Bool {
        let now = ContinuousClock.now
        if let last, now - last < .seconds(15) { return false }
        last = now
        return true
    }
}
