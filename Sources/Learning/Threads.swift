import CBLAS
import Dispatch
import Synchronization

/// How many threads the engine's kernels use (default 2: the machine type has 2 cores).
///
/// The engine splits work itself (row blocks of a GEMM, pixel blocks of elementwise
/// kernels) and keeps OpenBLAS single-threaded: nested BLAS threads inside our workers
/// would oversubscribe the cores, and our split also covers im2col, activations and
/// reductions, which BLAS threads never see.
public enum Threads {
    private static let configured = Atomic<Int>(0)

    public static var count: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            if value > 0 { return value }
            setUp(2)
            return 2
        }
        set { setUp(max(1, newValue)) }
    }

    private static func setUp(_ value: Int) {
        openblas_set_num_threads(1)
        configured.store(value, ordering: .relaxed)
    }

    /// OpenBLAS's kernel set (e.g. "SkylakeX", "Haswell"), to check OPENBLAS_CORETYPE took.
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

/// Runs `body` on `Threads.count` contiguous sub-ranges of `0..<total` in parallel, or
/// inline when the work is too small to pay for a thread hand-off.
@inline(__always)
func parallelRanges(_ total: Int, minimumPerThread: Int = 16_384, _ body: (Range<Int>) -> Void) {
    let threads = min(Threads.count, max(1, total / max(1, minimumPerThread)))
    if threads <= 1 {
        if total > 0 { body(0..<total) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let work = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            let start = total * index / threads
            let end = total * (index + 1) / threads
            if start < end { work.value(start..<end) }
        }
    }
}

/// Runs `body(index)` for `index` in `0..<count` across `Threads.count` threads.
@inline(__always)
func parallelTasks(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 || Threads.count <= 1 {
        for index in 0..<count { body(index) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let work = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: count) { work.value($0) }
    }
}

/// Carries a closure into Dispatch's @Sendable worker; the kernels guarantee that
/// concurrent invocations write disjoint memory.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
