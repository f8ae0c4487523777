import CZeroMQ
import Glibc

/// An eventfd that other threads signal to wake a thread blocked in `ZMQPoller.poll`.
/// Lets one thread own its sockets while others hand it work through a queue.
public final class WakeupSignal: @unchecked Sendable {
    // The descriptor is immutable after init; eventfd reads and writes are thread-safe.
    public let fileDescriptor: Int32

    public init() {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fd >= 0, "eventfd failed: \(String(cString: strerror(errno)))")
        fileDescriptor = fd
    }

    deinit { Glibc.close(fileDescriptor) }

    public func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fileDescriptor, $0.baseAddress, 8) }
    }

    /// Clears pending signals.
    public func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fileDescriptor, $0.baseAddress, 8) }
    }
}
