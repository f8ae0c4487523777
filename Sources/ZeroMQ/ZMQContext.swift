import CZeroMQ

/// A libzmq context. `inproc://` endpoints only connect sockets of the same context, so
/// the process shares one (`ZMQContext.shared`), which lives as long as the process.
public final class ZMQContext: @unchecked Sendable {
    // libzmq contexts are thread-safe; the handle is never mutated after init.
    let handle: UnsafeMutableRawPointer

    public static let shared = ZMQContext(ioThreads: 1)

    public init(ioThreads: Int32 = 1) {
        guard let handle = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: out of memory") }
        zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
        self.handle = handle
    }

    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
