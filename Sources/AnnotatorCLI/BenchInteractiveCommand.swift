import ArgumentParser
import Datasets
import Foundation
import Interactive
import Learning

/// `annotator bench interactive`: per-click latency with f-BRS and zoom-in, one session.
struct BenchInteractive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Per-click latency of the interactive predictor (robot clicks on test nuclei).",
        discussion: """
        Uses --model, or an untrained network of the default architecture when absent (latency \
        only; f-BRS then runs its full iteration budget more often, so that is pessimistic). \
        With --sessions N (default 8), the same robot clicks also go through the interactive \
        service from N sessions at once (keys p50_ms_8_sessions, p99_ms_8_sessions and \
        clicks_per_s_8_sessions for N = 8).
        """)

    @Option(help: "Model (.safetensors).")
    var model: String?
    @Option(help: "Folder dataset with nuclei to click on.")
    var data = "../shared/data/monuseg/test"
    @Option(help: "Nuclei to annotate (up to 20 clicks each, robot clicker).")
    var nuclei = 40
    @Option(help: "Threads for the engine's kernels.")
    var threads = 2
    @Option(help: "Concurrent sessions through the service (0 = skip).")
    var sessions = 8
    @Option(help: "Nuclei each concurrent session annotates (up to 5 clicks each).")
    var nucleiPerSession = 8
    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        Threads.count = threads
        let predictor = if let model {
            try InteractivePredictor(modelFile: URL(fileURLWithPath: model))
        } else {
            InteractivePredictor(network: InteractiveNetwork())
        }
        var options = NoCOptions()
        options.maxNuclei = nuclei
        let start = ContinuousClock.now
        let report = try NoCEvaluation.evaluate(predictor: predictor, data: FolderDataset(root: URL(fileURLWithPath: data)),
                                                options: options)
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let clicks = report.perNucleus.reduce(0) { $0 + $1.clicks }
        let results = ["p50_ms": report.p50Ms, "p99_ms": report.p99Ms, "mean_ms": report.spcMs,
                       "clicks": Double(clicks), "clicks_per_s": Double(clicks) / max(seconds, 1e-9),
                       "parameters": Double(predictor.network.parameterCount)]
        var all = results
        if sessions > 0 {
            let file: URL
            if let model {
                file = URL(fileURLWithPath: model)
            } else {
                file = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-bench-untrained-\(UUID().uuidString.prefix(8)).safetensors")
                try ModelFile.save(predictor.network, to: file)
            }
            defer { if self.model == nil { try? FileManager.default.removeItem(at: file) } }
            let figures = try await InteractiveSessionsBench.run(model: file, data: try FolderDataset(root: URL(fileURLWithPath: data)),
                                                                  sessions: sessions, nucleiPerSession: nucleiPerSession, clicksPerNucleus: 5)
            all["p50_ms_\(sessions)_sessions"] = figures.p50Ms
            all["p99_ms_\(sessions)_sessions"] = figures.p99Ms
            all["clicks_per_s_\(sessions)_sessions"] = figures.clicksPerSecond
            all["clicks_\(sessions)_sessions"] = Double(figures.clicks)
        }
        if json {
            try JSONOutput.print(all)
        } else {
            print(String(format: "%d clicks: p50 %.1f ms, p99 %.1f ms, mean %.1f ms per click", clicks, report.p50Ms, report.p99Ms, report.spcMs))
            if sessions > 0 {
                print(String(format: "%d sessions through the service: p50 %.1f ms, p99 %.1f ms per click, %.1f clicks/s in all",
                             sessions, all["p50_ms_\(sessions)_sessions"]!, all["p99_ms_\(sessions)_sessions"]!,
                             all["clicks_per_s_\(sessions)_sessions"]!))
            }
        }
    }
}
