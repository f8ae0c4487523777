/// Explicitly vectorised inner loops for the memory-bound passes. The scalar forms compile
/// to branches on the sign of each activation, which mispredict about half the time on
/// ReLU outputs; a vector select has no branch.

typealias Vec = SIMD16<Float>

@inline(__always)
func loadVec(_ p: UnsafePointer<Float>) -> Vec { UnsafeRawPointer(p).loadUnaligned(as: Vec.self) }

@inline(__always)
func storeVec(_ v: Vec, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self) }

/// out[i] = y[i] > 0 ? g[i] : 0 — the gradient through a ReLU whose output is y.
@inline(__always)
func reluGradient(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    let zero = Vec(repeating: 0)
    var i = 0
    while i + 16 <= count {
        storeVec(zero.replacing(with: loadVec(g + i), where: loadVec(y + i) .> zero), out + i)
        i += 16
    }
    while i < count { out[i] = y[i] > 0 ? g[i] : 0; i += 1 }
}

/// out[i] += y[i] > 0 ? g[i] : 0.
@inline(__always)
func reluGradientAdd(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    let zero = Vec(repeating: 0)
    var i = 0
    while i + 16 <= count {
        storeVec(loadVec(out + i) + zero.replacing(with: loadVec(g + i), where: loadVec(y + i) .> zero), out + i)
        i += 16
    }
    while i < count { if y[i] > 0 { out[i] += g[i] }; i += 1 }
}

/// out[i] += a[i].
@inline(__always)
func addInPlace(_ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count { storeVec(loadVec(out + i) + loadVec(a + i), out + i); i += 16 }
    while i < count { out[i] += a[i]; i += 1 }
}

/// Lane-wise maximum.
@inline(__always)
func pointwiseMax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .> a) }
