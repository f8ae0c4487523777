import CBLAS

/// Row-major sgemm: C[m×n] = alpha·op(A)·op(B) + beta·C, single-threaded (see `Threads`).
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The same product with the rows of C split across the engine's threads.
func parallelSgemm(transB: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                   b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let sa = SharedPointer(a), sb = SharedPointer(b), sc = SharedPointer(c)
    let minimumRows = max(16, 65_536 / max(1, n * k / 64))
    parallelRanges(m, minimumPerThread: minimumRows) { rows in
        sgemm(transB: transB, m: rows.count, n: n, k: k, a: sa.base + rows.lowerBound * lda, lda: lda,
              b: sb.base, ldb: ldb, beta: beta, c: sc.base + rows.lowerBound * ldc, ldc: ldc)
    }
}

/// Counts floating-point work done by GEMM-based ops while `FLOPCounter.count` runs
/// (used by model summaries; off otherwise and then costs one task-local read).
public enum FLOPCounter {
    final class Box: @unchecked Sendable { var flops = 0.0 }
    @TaskLocal static var current: Box?

    public static func count<E: Error>(_ body: () throws(E) -> Void) throws(E) -> Double {
        let box = Box()
        do {
            try $current.withValue(box) { try body() }
        } catch let error as E {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
        return box.flops
    }

    @inline(__always) static func add(_ flops: Double) { current?.flops += flops }
}
