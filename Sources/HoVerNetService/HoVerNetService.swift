import Artifacts
import Datasets
import Foundation
import HoVerNet
import Imaging
import ServiceKit
import Synchronization
import Wire

/// The HoVerNet service: `Train` (a job), `Infer`, and the job calls. Models are files in
/// the service's artifact store, addressed by SHA-256.
public final class HoVerNetService: Sendable {
    public static let name = "hovernet"

    public struct Configuration: Sendable {
        /// Where models are kept. Default: `annotator-artifacts` in the temporary folder.
        public var artifactRoot: URL = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-artifacts")
        /// Training jobs running at once (others queue). Default 1: training uses all cores.
        public var maxRunningJobs = 1
        /// Loaded models kept in memory for Infer. Default 2.
        public var cachedModels = 2

        public init() {}
    }

    public let configuration: Configuration
    public let store: ArtifactStore
    public let jobs: JobRegistry
    private let segmenters = Mutex<[(sha256: String, segmenter: LockedSegmenter)]>([])

    public init(_ configuration: Configuration = Configuration()) throws(RPCError) {
        self.configuration = configuration
        do {
            store = try ArtifactStore(root: configuration.artifactRoot)
        } catch {
            throw .internal("hovernet: \(error)")
        }
        jobs = JobRegistry(service: Self.name, maxRunning: configuration.maxRunningJobs)
    }

    public var definition: ServiceDefinition {
        var service = ServiceDefinition(name: Self.name)
        service.method("Train", idempotent: false) { (request: Annotator_V1_HoVerNetTrainRequest, _) in
            try self.startTraining(request)
        }
        service.method("Infer", idempotent: true) { (request: Annotator_V1_HoVerNetInferRequest, context) in
            try await self.infer(request, context: context)
        }
        jobs.register(into: &service)
        return service
    }

    // MARK: Train

    func startTraining(_ request: Annotator_V1_HoVerNetTrainRequest) throws(RPCError) -> Annotator_V1_JobStatus {
        guard !request.data.path.isEmpty else { throw .invalidArgument("data.path: give the training dataset folder") }
        guard request.steps > 0 || request.minutes > 0 else {
            throw .invalidArgument("give a budget: steps > 0 or minutes > 0")
        }
        var modelConfiguration = HoVerNetConfiguration()
        if !request.configurationJson.isEmpty {
            do {
                modelConfiguration = try JSONDecoder().decode(HoVerNetConfiguration.self, from: Data(request.configurationJson.utf8))
                try modelConfiguration.validate()
            } catch {
                throw .invalidArgument("configuration_json: \(error)")
            }
        }
        if request.holdOut > 0, !request.validation.path.isEmpty {
            throw .invalidArgument("hold_out: give validation or hold_out, not both")
        }
        // Load the data before answering, so a bad folder is the caller's error now.
        var data: TrainingSet
        var validation: TrainingSet?
        do {
            data = try TrainingSet.load(folder: URL(fileURLWithPath: request.data.path),
                                        sampleWeightsFile: !request.ignoreSampleWeights)
            validation = request.validation.path.isEmpty ? nil
                : try TrainingSet.load(folder: URL(fileURLWithPath: request.validation.path))
        } catch {
            throw .invalidArgument("dataset: \(error)")
        }
        if request.holdOut > 0 {
            do {
                let parts = try data.split(holdingOutEvenly: Int(request.holdOut))
                (data, validation) = (parts.train, parts.heldOut)
            } catch {
                throw .invalidArgument("hold_out: \(error)")
            }
        }
        if request.tunePostProcessing, validation == nil {
            throw .invalidArgument("tune_post_processing: needs a validation dataset")
        }
        let tune = request.tunePostProcessing
        let initial: URL? = request.hasInitModel ? try store.resolve(request.initModel, field: "init_model").url : nil
        var options = TrainingOptions(steps: request.steps > 0 ? Int(request.steps) : nil,
                                      minutes: request.minutes > 0 ? request.minutes : nil)
        try options.applyRecipe(of: request)
        options.initialModel = initial
        let workFolder = configuration.artifactRoot.appendingPathComponent("training-\(UUID().uuidString.prefix(8))")
        options.output = workFolder.appendingPathComponent("model.safetensors")
        let store = self.store
        return jobs.start { [modelConfiguration, options, data, validation] job in
            try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: workFolder) }
            let summary = try HoVerNetTrainer.train(
                configuration: modelConfiguration, data: data, validation: validation, options: options,
                progress: { progress in
                    var metrics: [String: Double] = ["patches_per_s": progress.patchesPerSecond]
                    if let best = progress.best {
                        metrics["val_dice"] = best.dice
                        metrics["val_aji"] = best.aji
                        metrics["val_pq"] = best.pq
                    }
                    job.report(step: progress.step, totalSteps: progress.totalSteps, loss: Double(progress.smoothedLoss),
                               message: String(format: "step %d/%d loss %.4f %.1f patches/s", progress.step,
                                               progress.totalSteps, progress.smoothedLoss, progress.patchesPerSecond),
                               metrics: metrics)
                },
                isCancelled: { job.isCancelled })
            guard let output = summary.output else {
                throw RPCError.internal("training wrote no model")
            }
            var metrics: [String: Double] = ["steps": Double(summary.steps), "seconds": summary.seconds,
                                             "patches_per_s": summary.patchesPerSecond]
            if tune, summary.stopReason != .cancelled, let validation {
                job.report(step: summary.steps, totalSteps: summary.steps, loss: Double(summary.finalLoss),
                           message: "tuning post-processing on \(validation.pairs.count) validation image(s)", metrics: [:])
                // Thresholds only: validation pairs may be synthetic, and made pairs have no
                // debris to teach the minimum area, which keeps its default.
                let results = try PostProcessingTuning.tune(
                    modelFile: output, on: validation,
                    candidates: PostProcessingTuning.grid(minimumArea: [PostProcessor.Parameters().minimumObjectArea]))
                if let best = results.first {
                    metrics["postprocessing_foreground_threshold"] = Double(best.parameters.foregroundThreshold)
                    metrics["postprocessing_edge_threshold"] = Double(best.parameters.edgeThreshold)
                    metrics["postprocessing_min_area"] = Double(best.parameters.minimumObjectArea)
                    metrics["tuned_val_aji"] = best.scores.aji
                    metrics["tuned_val_pq"] = best.scores.pq
                }
            }
            let artifact = try store.put(contentsOf: output, kind: "hovernet-model")
            if summary.stopReason == .cancelled { throw JobCancelled() }
            if let best = summary.best {
                metrics["val_dice"] = best.dice
                metrics["val_aji"] = best.aji
                metrics["val_pq"] = best.pq
            }
            return JobOutcome(result: Annotator_V1_ArtifactRef(artifact),
                              message: "trained \(summary.steps) steps in \(Int(summary.seconds)) s", metrics: metrics)
        }
    }

    // MARK: Infer

    func infer(_ request: Annotator_V1_HoVerNetInferRequest, context: RequestContext) async throws(RPCError)
        -> Annotator_V1_HoVerNetInferResponse {
        guard request.hasModel else { throw .invalidArgument("model: missing") }
        guard request.hasImage else { throw .invalidArgument("image: missing") }
        let image = try request.image.rgbImage(in: context, field: "image")
        let segmenter = try segmenter(for: request.model)
        let started = ContinuousClock.now
        let segmentation = try await offload { () throws(RPCError) -> HoVerNetSegmentation in
            do {
                return try segmenter.segment(image)
            } catch {
                throw .invalidArgument("image: \(error)")
            }
        }
        var response = Annotator_V1_HoVerNetInferResponse()
        response.instances = Annotator_V1_LabelMap(segmentation.labels, name: request.image.name)
        response.uncertainty = segmentation.uncertainty
        response.instanceCount = UInt32(segmentation.labels.instanceIDs.count)
        response.instanceTypes = segmentation.instanceTypes?.mapValues { UInt32($0) } ?? [:]
        response.seconds = (ContinuousClock.now - started).inSeconds
        return response
    }

    private func segmenter(for reference: Annotator_V1_ArtifactRef) throws(RPCError) -> LockedSegmenter {
        let artifact = try store.resolve(reference, field: "model")
        if let cached = segmenters.withLock({ $0.first { $0.sha256 == artifact.sha256 }?.segmenter }) { return cached }
        let loaded: HoVerNetSegmenter
        do {
            loaded = try HoVerNetSegmenter(modelFile: artifact.url)
        } catch {
            throw .invalidArgument("model \(artifact.sha256): \(error)")
        }
        let locked = LockedSegmenter(loaded)
        segmenters.withLock { cache in
            cache.insert((artifact.sha256, locked), at: 0)
            if cache.count > configuration.cachedModels { cache.removeLast(cache.count - configuration.cachedModels) }
        }
        return locked
    }
}

/// A segmenter used by one call at a time (its model keeps per-call buffers).
final class LockedSegmenter: @unchecked Sendable {
    private let segmenter: HoVerNetSegmenter
    private let lock = NSLock()

    init(_ segmenter: HoVerNetSegmenter) { self.segmenter = segmenter }

    func segment(_ image: RGBImage) throws(HoVerNetError) -> HoVerNetSegmentation {
        lock.lock()
        defer { lock.unlock() }
        return try segmenter.segment(image)
    }
}
