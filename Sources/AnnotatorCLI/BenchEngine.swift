import ArgumentParser
import Foundation
import Learning
#if canImport(Glibc)
import Glibc
import Randomness
#endif

/// `annotator bench engine`: the DESIGN.md reference workload on the learning engine.
struct BenchEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Time a training step and a forward pass of the reference conv net (DESIGN.md).",
        discussion: """
        Batch 4×3×256×256 (NHWC here); conv3×3 3→32, ReLU, conv 32→32, ReLU, maxpool 2, conv 32→64, \
        ReLU, conv 64→64, ReLU, upsample ×2, conv 64→32, ReLU, conv1×1 32→2; cross-entropy on random \
        labels; a training step is forward + backward + Adam. Medians over --steps after --warmup. \
        bench/pytorch_reference.py runs the same workload in PyTorch and prints the same keys; \
        --compare-pytorch runs it and adds the ratios.
        """)

    @Option(help: "Timed steps (the median is reported).")
    var steps = 10

    @Option(help: "Untimed warm-up steps.")
    var warmup = 2

    @Option(help: "Threads for the engine's kernels.")
    var threads = 2

    @Option(help: "Batch size.")
    var batch = 4

    @Option(help: "Image side.")
    var size = 256

    @Option(help: "Upsampling: bilinear or nearest.")
    var upsample = "bilinear"

    @Flag(help: "Conv → batch norm → ReLU blocks instead of convs with a fused ReLU.")
    var batchNorm = false

    @Option(help: "im2col block size in floats (tuning).")
    var blockFloats = ConvTuning.blockFloats

    @Flag(help: "Also run bench/pytorch_reference.py (needs python3 with torch) and report ratios.")
    var comparePytorch = false

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        Threads.count = threads
        ConvTuning.blockFloats = blockFloats
        if let best = BLASLauncher.coreTypeForThisCPU(), best != Threads.blasCoreName {
            Console.note("note: OpenBLAS runs its \(Threads.blasCoreName) kernels; this CPU supports \(best) " +
                         "(OPENBLAS_CORETYPE=\(best) before starting is faster here)")
        }
        var generator = SplitMix64(seed: 1)
        let bilinear = upsample == "bilinear"
        func block(_ name: String, _ cin: Int, _ cout: Int) -> [(String, Module)] {
            guard batchNorm else { return [(name, Conv2d(cin, cout, kernel: 3, activation: .relu, using: &generator))] }
            return [(name, Conv2d(cin, cout, kernel: 3, bias: false, using: &generator)), ("\(name)_bn", BatchNorm2d(cout)),
                    ("\(name)_relu", Lambda.relu)]
        }
        let model = Sequential(
            block("conv1", 3, 32) + block("conv2", 32, 32) + [("pool", Lambda.maxPool(2))]
                + block("conv3", 32, 64) + block("conv4", 64, 64)
                + [("up", bilinear ? Lambda.upsampleBilinear(2) : Lambda.upsampleNearest(2))]
                + block("conv5", 64, 32) + [("head", Conv2d(32, 2, kernel: 1, using: &generator))])
        let input = Tensor.randn([batch, size, size, 3], using: &generator)
        let labels = (0..<(batch * size * size)).map { _ in Int32.random(in: 0...1, using: &generator) }
        let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-3)
        let summary = try model.summary(inputShape: input.shape)
        // Backward costs twice the forward GEMMs, except that the first conv needs no input gradient.
        let firstConvFLOPs = 2.0 * Double(batch * size * size) * 27 * 32
        let trainFLOPs = 3 * summary.forwardFLOPs - firstConvFLOPs

        var trainTimes: [Double] = []
        var allocationsAfterWarmup = 0
        var lastLoss: Float = .nan
        for step in 0..<(warmup + steps) {
            let start = ContinuousClock.now
            model.zeroGrad()
            let loss = try F.crossEntropy(try model(input), labels: labels)
            try loss.backward()
            optimizer.step()
            lastLoss = loss.item
            let ms = (ContinuousClock.now - start).milliseconds
            if step >= warmup { trainTimes.append(ms) }
            if step == warmup - 1 { allocationsAfterWarmup = BufferPool.shared.systemAllocations }
            if !json { Console.note(String(format: "train step %d: %.1f ms (loss %.4f)", step, ms, lastLoss)) }
        }
        var forwardTimes: [Double] = []
        for step in 0..<(warmup + steps) {
            let start = ContinuousClock.now
            let output = try Autograd.noGrad { () throws(LearningError) in try model(input) }
            precondition(output.shape == [batch, size, size, 2])
            let ms = (ContinuousClock.now - start).milliseconds
            if step >= warmup { forwardTimes.append(ms) }
            if !json { Console.note(String(format: "forward %d: %.1f ms", step, ms)) }
        }
        let trainMs = median(trainTimes), forwardMs = median(forwardTimes)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakPerSecond = 370.0
        var results: [String: JSONValue] = [
            "train_step_ms": .number(trainMs),
            "forward_ms": .number(forwardMs),
            "peak_rss_mib": .number(Double(usage.ru_maxrss) / 1024),
            "gflops": .number(trainFLOPs / (trainMs / 1000) / 1e9),
            "forward_gflops": .number(summary.forwardFLOPs / (forwardMs / 1000) / 1e9),
            "forward_gflop": .number(summary.forwardFLOPs / 1e9),
            "train_gflop": .number(trainFLOPs / 1e9),
            "fraction_of_peak": .number(trainFLOPs / (trainMs / 1000) / 1e9 / peakPerSecond),
            "threads": .number(Double(threads)),
            "steps": .number(Double(steps)),
            "final_loss": .number(Double(lastLoss)),
            "blas_core": .string(Threads.blasCoreName),
            "sgemm_gflops": .number(EngineProbe.sgemmGFLOPs(threads: threads)),
            "buffer_allocations_per_step": .number(Double(BufferPool.shared.systemAllocations - allocationsAfterWarmup) / Double(steps)),
            "upsample": .string(upsample),
            "batch_norm": .string(batchNorm ? "yes" : "no"),
        ]
        if comparePytorch {
            let reference = try runPyTorch()
            results["pytorch_train_step_ms"] = .number(reference.train)
            results["pytorch_forward_ms"] = .number(reference.forward)
            results["train_step_ratio_to_pytorch"] = .number(trainMs / reference.train)
            results["forward_ratio_to_pytorch"] = .number(forwardMs / reference.forward)
        }
        if json {
            try JSONOutput.print(results)
        } else {
            for key in results.keys.sorted() { print("\(key): \(results[key]!)") }
        }
    }

    private func runPyTorch() throws -> (train: Double, forward: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "bench/pytorch_reference.py", "--steps", "\(steps)", "--threads", "\(threads)",
                             "--batch", "\(batch)", "--size", "\(size)", "--upsample", upsample] + (batchNorm ? ["--batch-norm"] : [])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let train = object["train_step_ms"] as? Double, let forward = object["forward_ms"] as? Double
        else { throw CLIError("bench/pytorch_reference.py failed (is torch installed?)") }
        return (train, forward)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}

enum JSONValue: Encodable, CustomStringConvertible {
    case number(Double), string(String)
    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .number(value): try container.encode((value * 1000).rounded() / 1000)
        case let .string(value): try container.encode(value)
        }
    }
    var description: String {
        switch self {
        case let .number(value): return String(format: "%.3f", value)
        case let .string(value): return value
        }
    }
}

