import ArgumentParser
import Foundation
import Imaging
import Metrics
import MetricsService
import Wire

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed: print figures (use --json for scripts).",
        subcommands: [BenchRPC.self, BenchMetrics.self, BenchEngine.self, BenchImaging.self, BenchHoVerNet.self, BenchInteractive.self, BenchSynthesis.self])
}

struct BenchRPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Round-trip latency (100-byte body) over tcp and ipc loopback, and 1 MiB throughput.",
        discussion: """
        Hosts a service in this process and calls Health with an echo payload from a client \
        in this process, over real tcp/ipc sockets. Latency: p50/p99 over --calls sequential \
        calls after a warm-up. Throughput: MiB of request payload per second for 1 MiB \
        echoes (the reply carries the same MiB back).
        """)

    @Option(help: "Sequential calls per transport for latency.")
    var calls = 10_000

    @Option(help: "Calls with a 1 MiB payload for throughput.")
    var bulkCalls = 300

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let ipcPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("annotator-bench-\(ProcessInfo.processInfo.processIdentifier).sock").path
        defer { try? FileManager.default.removeItem(atPath: ipcPath) }
        var results: [String: Double] = [:]
        for (transport, endpoint) in [("tcp", "tcp://127.0.0.1:*"), ("ipc", "ipc://\(ipcPath)"),
                                      ("inproc", "inproc://bench-\(UUID().uuidString)")] {
            var configuration = ServerConfiguration(endpoint: endpoint)
            configuration.log = { _ in }
            let server = RPCServer(service: MetricsService.definition(), configuration: configuration)
            let bound = try server.start()
            let client = try RPCClient(endpoint: bound)
            let small = Data(repeating: 7, count: 100)
            for _ in 0..<min(500, calls) { _ = try await client.health(echo: small) }
            var latencies: [Double] = []
            latencies.reserveCapacity(calls)
            for _ in 0..<calls {
                let start = ContinuousClock.now
                _ = try await client.health(echo: small)
                latencies.append((ContinuousClock.now - start).microseconds)
            }
            latencies.sort()
            results["\(transport)_p50_us"] = percentile(latencies, 0.50)
            results["\(transport)_p99_us"] = percentile(latencies, 0.99)
            if transport == "ipc" {
                let big = Data(repeating: 1, count: 1 << 20)
                for _ in 0..<10 { _ = try await client.health(echo: big) }
                let start = ContinuousClock.now
                for _ in 0..<bulkCalls { _ = try await client.health(echo: big) }
                let seconds = (ContinuousClock.now - start).milliseconds / 1000
                results["mib_per_s_1mib"] = Double(bulkCalls) / seconds
            }
            client.close()
            await server.shutdown()
            if !json {
                Console.note(String(format: "%@: p50 %.1f µs, p99 %.1f µs over %d calls", transport,
                                    results["\(transport)_p50_us"]!, results["\(transport)_p99_us"]!, calls))
            }
        }
        if json {
            try JSONOutput.print(results)
        } else {
            print(String(format: "tcp  p50 %.1f µs  p99 %.1f µs", results["tcp_p50_us"]!, results["tcp_p99_us"]!))
            print(String(format: "ipc  p50 %.1f µs  p99 %.1f µs", results["ipc_p50_us"]!, results["ipc_p99_us"]!))
            print(String(format: "inproc p50 %.1f µs  p99 %.1f µs", results["inproc_p50_us"]!, results["inproc_p99_us"]!))
            print(String(format: "1 MiB echo over ipc: %.0f MiB/s each way", results["mib_per_s_1mib"]!))
        }
    }

    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

struct BenchMetrics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Time the metrics on the full-size MoNuSeg golden cases and check their values.",
        discussion: "Reads FIXTURES/monuseg_full_*/{gt,pred}.png and expected.json; times scoring only (decoding excluded).")

    @Option(help: "Folder of metric golden cases.")
    var fixtures: String = "Tests/Fixtures/metrics"

    @Option(help: "Timed repetitions per image (the median is reported).")
    var repeats = 20

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let root = URL(fileURLWithPath: fixtures)
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { $0.hasPrefix("monuseg_full") }.sorted()
        guard !cases.isEmpty else { throw CLIError("no monuseg_full_* cases in \(root.path)") }
        var times: [Double] = []
        var maxDiff = 0.0
        for name in cases {
            let folder = root.appendingPathComponent(name)
            let gt = try ImageFiles.readLabelMap(folder.appendingPathComponent("gt.png"))
            let pred = try ImageFiles.readLabelMap(folder.appendingPathComponent("pred.png"))
            let expected = try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: Any] ?? [:]
            var scores = try SegmentationMetrics.evaluate(groundTruth: gt, prediction: pred)
            var runs: [Double] = []
            for _ in 0..<repeats {
                let start = ContinuousClock.now
                scores = try SegmentationMetrics.evaluate(groundTruth: gt, prediction: pred)
                runs.append((ContinuousClock.now - start).milliseconds)
            }
            runs.sort()
            times.append(runs[runs.count / 2])
            let got: [String: Double] = ["dice1": scores.dice1, "dice2": scores.dice2, "aji": scores.aji,
                                         "aji_plus": scores.ajiPlus, "dq": scores.dq, "sq": scores.sq, "pq": scores.pq]
            for (key, value) in got {
                if let want = expected[key] as? Double { maxDiff = max(maxDiff, abs(want - value)) }
            }
            if !json { Console.note(String(format: "%@: %.2f ms", name, runs[runs.count / 2])) }
        }
        let msPerImage = times.reduce(0, +) / Double(times.count)
        if json {
            try JSONOutput.print(["ms_per_image": msPerImage, "max_abs_diff": maxDiff, "images": Double(times.count)])
        } else {
            print(String(format: "metrics: %.2f ms per 1000×1000 image (median of %d), max |diff| to golden values %.2e",
                         msPerImage, repeats, maxDiff))
        }
    }
}
