import Dispatch

/// Small measurements for benchmarks and diagnostics.
public enum EngineProbe {
    /// GFLOP/s of a 2048×2048×2048 sgemm with its rows split over `threads` threads
    /// (best of 3), the way the engine drives OpenBLAS.
    public static func sgemmGFLOPs(threads: Int, size: Int = 2048) -> Double {
        let previous = Threads.count
        Threads.count = threads
        defer { Threads.count = previous }
        let a = Tensor(shape: [size, size], repeating: 0.5), b = Tensor(shape: [size, size], repeating: 0.25)
        let c = Tensor(zeros: [size, size])
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            parallelSgemm(m: size, n: size, k: size, a: a.data, lda: size, b: b.data, ldb: size, beta: 0, c: c.data, ldc: size)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(size) * Double(size) * Double(size) / best / 1e9
    }
}
