import Artifacts
import Datasets
import Foundation
import Imaging
import Refinement
import ServiceKit
import Synchronization
import Wire

/// The refinement service: `Train` (a job whose result is a "refiner-model" artifact),
/// `Refine` (a batch of images through a stored model), and the job calls.
public final class RefinementService: Sendable {
    public static let name = "refinement"
    public static let modelKind = "refiner-model"

    public struct Configuration: Sendable {
        /// Where models are kept. Default: `annotator-artifacts` in the temporary folder.
        public var artifactRoot: URL = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-artifacts")
        /// Training jobs running at once (others queue). Default 1: training uses all cores.
        public var maxRunningJobs = 1
        public init() {}
    }

    public let configuration: Configuration
    public let store: ArtifactStore
    public let jobs: JobRegistry
    private let models = Mutex<[(sha256: String, model: LockedRefiner)]>([])

    public init(_ configuration: Configuration = Configuration()) throws(RPCError) {
        self.configuration = configuration
        do { store = try ArtifactStore(root: configuration.artifactRoot) } catch { throw .internal("refinement: \(error)") }
        jobs = JobRegistry(service: Self.name, maxRunning: configuration.maxRunningJobs)
    }

    public var definition: ServiceDefinition {
        var service = ServiceDefinition(name: Self.name)
        service.method("Train", idempotent: false) { (request: Annotator_V1_RefinerTrainRequest, _) in
            try self.startTraining(request)
        }
        service.method("Refine", idempotent: true) { (request: Annotator_V1_RefineRequest, context) in
            try await self.refine(request, context: context)
        }
        jobs.register(into: &service)
        return service
    }

    func startTraining(_ request: Annotator_V1_RefinerTrainRequest) throws(RPCError) -> Annotator_V1_JobStatus {
        guard !request.pool.path.isEmpty else { throw .invalidArgument("pool.path: give the folder of real images") }
        guard !request.synthetic.path.isEmpty else { throw .invalidArgument("synthetic.path: give the synthetic dataset folder") }
        guard request.steps > 0 || request.minutes > 0 else { throw .invalidArgument("give a budget: steps > 0 or minutes > 0") }
        // Load the data before answering, so a bad folder is the caller's error now.
        let real: [RGBImage], fakes: [RGBImage]
        do {
            real = try Self.images(URL(fileURLWithPath: request.pool.path))
            let dataset = try FolderDataset(root: URL(fileURLWithPath: request.synthetic.path), requireMasks: false)
            fakes = try dataset.samples.map { sample throws(DatasetError) in try dataset.loadImage(sample) }
        } catch {
            throw .invalidArgument("dataset: \(error)")
        }
        let initial: URL? = request.hasInitModel ? try store.resolve(request.initModel, field: "init_model").url : nil
        var configuration = RefinerTrainer.Configuration()
        configuration.seed = request.seed
        if request.lambda > 0 { configuration.lambda = Float(request.lambda) }
        let trainer = configuration
        var options = RefinerTrainer.Options(steps: request.steps > 0 ? Int(request.steps) : nil,
                                             minutes: request.steps > 0 ? nil : request.minutes)
        let workFolder = self.configuration.artifactRoot.appendingPathComponent("refiner-training-\(UUID().uuidString.prefix(8))")
        options.checkpoint = workFolder.appendingPathComponent("refiner.safetensors")
        let runOptions = options
        let store = self.store
        return jobs.start { job in
            try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: workFolder) }
            let model = try initial.map { try RefinerModel.load(from: $0) } ?? RefinerModel(architecture: trainer.architecture, seed: trainer.seed)
            let start = model.step
            let summary = try RefinerTrainer.train(
                model: model, configuration: trainer, pool: real, synthetic: fakes, options: runOptions,
                progress: { p in
                    let done = p.step - start
                    let metrics: [String: Double] = ["refiner_adversarial": Double(p.refinerAdversarialLoss),
                                                     "refiner_l1": Double(p.refinerRegularisationLoss),
                                                     "discriminator_accuracy": Double(p.discriminatorAccuracy)]
                    let message = String(format: "step %d: R adv %.3f L1 %.4f, D loss %.3f acc %.2f", p.step,
                                         p.refinerAdversarialLoss, p.refinerRegularisationLoss, p.discriminatorLoss, p.discriminatorAccuracy)
                    if let total = runOptions.steps {
                        job.report(step: done, totalSteps: total, loss: Double(p.discriminatorLoss), message: message, metrics: metrics)
                    } else if let minutes = runOptions.minutes {
                        job.report(fraction: min(1, p.elapsedSeconds / (minutes * 60)), message: message)
                    }
                },
                isCancelled: { job.isCancelled })
            let artifact = try store.put(contentsOf: runOptions.checkpoint!, kind: Self.modelKind)
            var metrics: [String: Double] = ["steps": Double(summary.steps), "seconds": summary.seconds]
            if let last = summary.last {
                metrics["refiner_adversarial"] = Double(last.refinerAdversarialLoss)
                metrics["discriminator_accuracy"] = Double(last.discriminatorAccuracy)
            }
            return JobOutcome(result: Annotator_V1_ArtifactRef(artifact),
                              message: "trained \(summary.steps) steps in \(Int(summary.seconds)) s", metrics: metrics)
        }
    }

    func refine(_ request: Annotator_V1_RefineRequest, context: RequestContext) async throws(RPCError) -> Annotator_V1_RefineResponse {
        guard request.hasModel else { throw .invalidArgument("model: missing") }
        guard !request.images.isEmpty else { throw .invalidArgument("images: empty batch") }
        var decoded: [RGBImage] = []
        for (index, message) in request.images.enumerated() {
            decoded.append(try message.rgbImage(in: context, field: "images[\(index)]"))
        }
        let images = decoded
        let model = try model(for: request.model)
        let wantsWeights = request.weights
        let names = request.images.map(\.name)
        let (refined, ratios) = try await offload { () throws(RPCError) -> ([RGBImage], [Double]) in
            do { return try model.refine(images, weights: wantsWeights) } catch { throw .invalidArgument("\(error)") }
        }
        var response = Annotator_V1_RefineResponse()
        response.images = zip(refined, names).map { Annotator_V1_Image($0, name: $1) }
        let mean = ratios.reduce(0, +) / Double(max(1, ratios.count))
        response.weights = ratios.map { mean > 0 ? $0 / mean : 1 }
        return response
    }

    private func model(for reference: Annotator_V1_ArtifactRef) throws(RPCError) -> LockedRefiner {
        let artifact = try store.resolve(reference, field: "model")
        if let cached = models.withLock({ $0.first { $0.sha256 == artifact.sha256 }?.model }) { return cached }
        let loaded: RefinerModel
        do { loaded = try RefinerModel.load(from: artifact.url) } catch { throw .invalidArgument("model \(artifact.sha256): \(error)") }
        let locked = LockedRefiner(loaded)
        models.withLock { cache in
            cache.insert((artifact.sha256, locked), at: 0)
            if cache.count > 2 { cache.removeLast(cache.count - 2) }
        }
        return locked
    }

    /// The images of a pool folder (`images/` inside it when present; masks never read).
    static func images(_ folder: URL) throws -> [RGBImage] {
        let inner = folder.appendingPathComponent("images")
        var isDirectory: ObjCBool = false
        let directory = FileManager.default.fileExists(atPath: inner.path, isDirectory: &isDirectory) && isDirectory.boolValue ? inner : folder
        let urls = try ImageFiles.listImages(in: directory)
        guard !urls.isEmpty else { throw RefinementError.insufficientData("no images in \(directory.path)") }
        return try urls.map { url throws(ImagingError) in try ImageFiles.readRGB(url) }
    }
}

/// A model used by one call at a time (modules are not thread-safe).
final class LockedRefiner: @unchecked Sendable {
    private let model: RefinerModel
    private let lock = NSLock()

    init(_ model: RefinerModel) { self.model = model }

    /// Refined images and, when asked, D's odds of each being real ((1−p)/p, unnormalised).
    func refine(_ images: [RGBImage], weights: Bool) throws(RefinementError) -> ([RGBImage], [Double]) {
        lock.lock()
        defer { lock.unlock() }
        var refined: [RGBImage] = [], ratios: [Double] = []
        for image in images {
            let output = try Refiner.refine(image, model: model)
            refined.append(output)
            if weights {
                let pReal = min(1 - 1e-4, max(1e-4, 1 - (try Refiner.syntheticProbability(output, model: model))))
                ratios.append(pReal / (1 - pReal))
            }
        }
        return (refined, ratios)
    }
}
