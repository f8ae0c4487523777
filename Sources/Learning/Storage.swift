import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Float buffers are recycled by exact size: a training step allocates the same set of
/// activation and gradient buffers every time, and fresh large allocations cost page faults
/// (tens of MB per activation here), so steady-state steps reuse rather than allocate.
public final class BufferPool: Sendable {
    public static let shared = BufferPool()

    private struct State {
        var free: [Int: [UInt]] = [:]
        var cachedFloats = 0
    }
    private let state = Mutex(State())
    /// Cached floats beyond this are released to the system instead (1 GiB).
    public let capacityFloats = 1 << 28

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = max(count, 1)
        let reused: UInt? = state.withLock { state in
            guard var list = state.free[size], let address = list.popLast() else { return nil }
            state.free[size] = list
            state.cachedFloats -= size
            return address
        }
        if let reused, let pointer = UnsafeMutablePointer<Float>(bitPattern: reused) { return pointer }
        // 64-byte alignment keeps AVX-512 loads within one cache line.
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(size) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: size)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let size = max(count, 1)
        let kept = state.withLock { state -> Bool in
            guard state.cachedFloats + size <= capacityFloats else { return false }
            state.free[size, default: []].append(UInt(bitPattern: pointer))
            state.cachedFloats += size
            return true
        }
        if !kept { free(pointer) }
    }

    /// Returns every cached buffer to the system.
    public func trim() {
        let addresses = state.withLock { state -> [UInt] in
            let all = state.free.values.flatMap { $0 }
            state.free = [:]
            state.cachedFloats = 0
            return all
        }
        for address in addresses { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }
}

/// The contiguous Float32 memory behind one or more tensors (reshape shares it).
final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool) {
        self.count = count
        pointer = BufferPool.shared.take(count)
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    deinit { BufferPool.shared.give(pointer, count) }
}

/// A pointer handed to worker threads; the caller guarantees disjoint writes.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    init(_ base: UnsafePointer<T>) { self.base = UnsafeMutablePointer(mutating: base) }
    subscript(index: Int) -> T {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}
