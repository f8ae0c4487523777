import Foundation
import Learning

/// What a HoVerNet model file records besides the weights (safetensors `__metadata__`).
public struct CheckpointInfo: Sendable, Equatable {
    public var configuration: HoVerNetConfiguration
    public var parameters: Int
    /// Forward GFLOP for one 256×256 patch.
    public var gflopsPer256: Double
    /// Optimiser steps taken when the file was written.
    public var step: Int
    /// Free-form facts of the run (validation scores, seed, data folder...).
    public var notes: [String: String]
    /// Adam's step count when the file is a resume file with the optimiser's moments.
    public var optimizerSteps: Int?

    /// Post-processing parameters tuned for this model (`hovernet tune --write`), if any.
    public var postProcessing: PostProcessor.Parameters? {
        notes[Checkpoint.postProcessingKey].flatMap { try? JSONDecoder().decode(PostProcessor.Parameters.self, from: Data($0.utf8)) }
    }
}

/// Reads and writes HoVerNet model files: safetensors with the architecture in the metadata,
/// written atomically (temporary file + rename in the same folder) so a crash mid-write
/// never leaves a truncated model where the last good one was.
public enum Checkpoint {
    static let formatKey = "format", formatValue = "annotator-hovernet/1", optimizerStepsKey = "optimizer_steps"
    static let postProcessingKey = "postprocessing"

    /// `optimizer` goes only into resume files: a model file stays weights alone.
    public static func save(_ model: HoVerNetModel, to url: URL, step: Int = 0, notes: [String: String] = [:],
                            optimizer: AdamState? = nil) throws(HoVerNetError) {
        var metadata = notes
        metadata[formatKey] = formatValue
        metadata["architecture"] = model.configuration.architectureString
        metadata["configuration"] = configurationJSON(model.configuration)
        metadata["parameters"] = String(model.parameterCount)
        metadata["gflops_per_256x256"] = String(format: "%.3f", model.configuration.forwardFLOPs() / 1e9)
        metadata["step"] = String(step)
        var tensors = model.stateDict()
        if let optimizer {
            metadata[optimizerStepsKey] = String(optimizer.steps)
            tensors += optimizer.tensors(shapes: model.parameters().map(\.shape)).map { ($0.key, $0.value) }
        }
        let data: Data
        do { data = try SafeTensors.encode(tensors, metadata: metadata) } catch { throw .learning(error) }
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw HoVerNetError.io(path: url.path, detail: "rename failed: \(String(cString: strerror(errno)))")
            }
        } catch let error as HoVerNetError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .io(path: url.path, detail: "\(error)")
        }
    }

    /// The metadata of a model file, without building a model.
    public static func info(at url: URL) throws(HoVerNetError) -> CheckpointInfo {
        let metadata = try readMetadata(url)
        guard metadata[formatKey] == formatValue, let json = metadata["configuration"] else {
            throw .notAHoVerNetModel(path: url.path, detail: "no '\(formatValue)' metadata (written by another tool?)")
        }
        let configuration: HoVerNetConfiguration
        do {
            configuration = try JSONDecoder().decode(HoVerNetConfiguration.self, from: Data(json.utf8))
        } catch {
            throw .notAHoVerNetModel(path: url.path, detail: "unreadable configuration: \(error)")
        }
        var notes = metadata
        for key in [formatKey, "architecture", "configuration", "parameters", "gflops_per_256x256", "step", optimizerStepsKey] { notes[key] = nil }
        return CheckpointInfo(configuration: configuration, parameters: Int(metadata["parameters"] ?? "") ?? 0,
                              gflopsPer256: Double(metadata["gflops_per_256x256"] ?? "") ?? 0,
                              step: Int(metadata["step"] ?? "") ?? 0, notes: notes,
                              optimizerSteps: metadata[optimizerStepsKey].flatMap(Int.init))
    }

    /// A model of the file's own architecture with its weights.
    public static func load(_ url: URL) throws(HoVerNetError) -> (HoVerNetModel, CheckpointInfo) {
        let info = try info(at: url)
        let model = try HoVerNetModel(configuration: info.configuration)
        try loadResumeState(url, into: model)
        return (model, info)
    }

    /// Loads the file's weights into `model`, refusing a file of another architecture.
    @discardableResult
    public static func load(_ url: URL, into model: HoVerNetModel) throws(HoVerNetError) -> CheckpointInfo {
        try loadResumeState(url, into: model).info
    }

    /// The weights, plus the optimiser state when the file is a resume file that has one.
    @discardableResult
    public static func loadResumeState(_ url: URL, into model: HoVerNetModel) throws(HoVerNetError) -> (info: CheckpointInfo, optimizer: AdamState?) {
        let info = try info(at: url)
        guard info.configuration == model.configuration else {
            throw .architectureMismatch(path: url.path, expected: model.configuration.architectureString,
                                        found: info.configuration.architectureString)
        }
        let tensors: [String: Tensor]
        do { tensors = try SafeTensors.load(url) } catch { throw .learning(error) }
        let optimizer = info.optimizerSteps.flatMap { AdamState(tensors: tensors, steps: $0) }
        let weights = tensors.filter { !$0.key.hasPrefix(AdamState.tensorPrefix) }
        do { try model.load(weights) } catch { throw .learning(error) }
        return (info, optimizer)
    }

    /// Rewrites the model file with `parameters` as its post-processing (atomically; the
    /// weights are unchanged), so every later segmenter of this file uses them.
    public static func setPostProcessing(_ parameters: PostProcessor.Parameters, in url: URL) throws(HoVerNetError) {
        let (model, info) = try load(url)
        var notes = info.notes
        notes[postProcessingKey] = sortedJSON(parameters)
        try save(model, to: url, step: info.step, notes: notes)
    }

    static func configurationJSON(_ configuration: HoVerNetConfiguration) -> String { sortedJSON(configuration) }

    /// Metadata values are JSON with sorted keys (stable bytes, stable digests).
    static func sortedJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding structs of numbers cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// The `__metadata__` object of a safetensors file (the engine's decoder skips it).
    static func readMetadata(_ url: URL) throws(HoVerNetError) -> [String: String] {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .io(path: url.path, detail: "no such file") }
        do { return try SafeTensors.metadata(of: url) } catch { throw .notAHoVerNetModel(path: url.path, detail: "\(error)") }
    }
}
