import Datasets
import Foundation
import Interactive
import ServiceKit
import Wire

extension InteractiveService {
    /// Starts a training job on a folder dataset; its result is an "interactive-model"
    /// artifact in this service's store, usable at once by OpenSession and SegmentPoints.
    func startTraining(_ request: Annotator_V1_InteractiveTrainRequest) throws(RPCError) -> Annotator_V1_JobStatus {
        guard !request.data.path.isEmpty else { throw .invalidArgument("data.path: give the training dataset folder") }
        guard request.steps > 0 || request.minutes > 0 else {
            throw .invalidArgument("give a budget: steps > 0 or minutes > 0")
        }
        var modelConfiguration = InteractiveModelConfiguration()
        if !request.configurationJson.isEmpty {
            do {
                modelConfiguration = try JSONDecoder().decode(InteractiveModelConfiguration.self,
                                                              from: Data(request.configurationJson.utf8))
                try modelConfiguration.validate()
            } catch {
                throw .invalidArgument("configuration_json: \(error)")
            }
        }
        // Open the folder before answering, so a bad dataset is the caller's error now.
        let dataset: FolderDataset
        do {
            dataset = try FolderDataset(root: URL(fileURLWithPath: request.data.path))
        } catch {
            throw .invalidArgument("data: \(error)")
        }
        var options = InteractiveTrainingOptions()
        options.steps = request.steps > 0 ? Int(request.steps) : nil
        options.timeBudget = request.minutes > 0 ? request.minutes * 60 : nil
        options.seed = request.seed
        options.initialWeights = request.hasInitModel ? try store.resolve(request.initModel, field: "init_model").url : nil
        let workFolder = configuration.artifactRoot.appendingPathComponent("training-\(UUID().uuidString.prefix(8))")
        options.checkpoint = workFolder.appendingPathComponent("model.safetensors")
        let (store, trainingOptions, modelChoice) = (self.store, options, modelConfiguration)
        return jobs.start { job in
            try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: workFolder) }
            let (_, summary) = try InteractiveTrainer.train(
                configuration: modelChoice, data: dataset, options: trainingOptions,
                progress: { progress in
                    job.report(fraction: progress.fraction,
                               message: String(format: "step %d loss %.4f %.0f s", progress.step, progress.loss, progress.elapsed))
                },
                isCancelled: { job.isCancelled })
            if job.isCancelled { throw JobCancelled() }
            guard let output = trainingOptions.checkpoint, FileManager.default.fileExists(atPath: output.path) else {
                throw RPCError.internal("training wrote no model")
            }
            let artifact = try store.put(contentsOf: output, kind: "interactive-model")
            return JobOutcome(result: Annotator_V1_ArtifactRef(artifact),
                              message: "trained \(summary.steps) steps in \(Int(summary.seconds)) s",
                              metrics: ["steps": Double(summary.steps), "seconds": summary.seconds,
                                        "final_loss": summary.finalLoss, "nuclei": Double(summary.nuclei)])
        }
    }
}
