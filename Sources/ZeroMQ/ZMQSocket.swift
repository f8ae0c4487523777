import CZeroMQ
import Foundation

/// A libzmq socket. Not thread-safe: create, use and close it on one thread.
public final class ZMQSocket {
    public enum Kind: Int32, Sendable {
        case pair = 0
        case publisher = 1
        case subscriber = 2
        case request = 3
        case reply = 4
        case dealer = 5
        case router = 6
        case pull = 7
        case push = 8
    }

    private var handle: UnsafeMutableRawPointer?
    public let kind: Kind

    public init(context: ZMQContext = .shared, kind: Kind) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else { throw ZMQError("zmq_socket") }
        self.handle = handle
        self.kind = kind
    }

    deinit { close() }

    /// Closes the socket; pending outgoing messages are kept for `linger` first.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    var raw: UnsafeMutableRawPointer {
        guard let handle else { preconditionFailure("socket used after close") }
        return handle
    }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(raw, endpoint) == 0 else { throw ZMQError("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(raw, endpoint) == 0 else { throw ZMQError("connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to its port).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError("getsockopt ZMQ_LAST_ENDPOINT")
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(raw, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError("setsockopt \(option)")
        }
    }

    public func setOption(_ option: Int32, _ value: Int64) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(raw, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError("setsockopt \(option)")
        }
    }

    /// Milliseconds pending messages are kept after close. Never 0 for repliers: a last
    /// large reply could be dropped.
    public func setLinger(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQ_LINGER, milliseconds) }

    /// Sends all frames as one multipart message. With `dontWait`, throws `wouldBlock` when
    /// the message cannot be queued (for example no connected peer with ZMQ_IMMEDIATE).
    public func send(_ frames: [Data], dontWait: Bool = false) throws(ZMQError) {
        precondition(!frames.isEmpty, "a message has at least one frame")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            // A failed first frame leaves nothing queued; later frames cannot fail with
            // EAGAIN once the first was accepted (libzmq queues multipart atomically).
            if frame.count >= Self.zeroCopyThreshold {
                try sendWithoutCopy(frame, flags: flags)
            } else {
                let result = frame.withUnsafeBytes { bytes in zmq_send(raw, bytes.baseAddress, bytes.count, flags) }
                if result < 0 { throw ZMQError("send") }
            }
        }
    }

    /// Frames from this size on are handed to libzmq without a copy, and received ones are
    /// wrapped without a copy: a MiB-sized payload is otherwise copied twice more per hop.
    static let zeroCopyThreshold = 64 << 10

    private func sendWithoutCopy(_ frame: Data, flags: Int32) throws(ZMQError) {
        // The box keeps the bytes alive until libzmq has sent them and calls `release`. A
        // Data this large owns heap storage that does not move while it is not mutated.
        let box = Unmanaged.passRetained(DataBox(frame))
        let base = frame.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        var message = zmq_msg_t()
        let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<DataBox>.fromOpaque(hint).release() }
        }
        guard zmq_msg_init_data(&message, base, frame.count, release, box.toOpaque()) == 0 else {
            box.release()
            throw ZMQError("zmq_msg_init_data")
        }
        if zmq_msg_send(&message, raw, flags) < 0 {
            let error = ZMQError("send")
            zmq_msg_close(&message)  // calls release
            throw error
        }
    }

    /// Receives one multipart message. Returns nil when nothing is waiting and `dontWait`.
    /// Stops copying once `byteLimit` is exceeded (the rest is drained and dropped) and
    /// reports the full size, so callers can refuse oversized messages before decoding.
    public func receive(dontWait: Bool = false, byteLimit: Int = .max) throws(ZMQError) -> ReceivedMessage? {
        var frames: [Data] = []
        var totalBytes = 0
        var truncated = false
        var message = zmq_msg_t()
        while true {
            zmq_msg_init(&message)
            let result = zmq_msg_recv(&message, raw, dontWait && frames.isEmpty && !truncated ? ZMQ_DONTWAIT : 0)
            if result < 0 {
                let error = ZMQError("receive")
                zmq_msg_close(&message)
                if error.wouldBlock && frames.isEmpty && !truncated { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            let more = zmq_msg_more(&message) != 0
            totalBytes += size
            if totalBytes > byteLimit {
                truncated = true
            }
            if !truncated {
                if size >= Self.zeroCopyThreshold {
                    // Move the message to the heap; the Data frees it when done.
                    let owned = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
                    zmq_msg_init(owned)
                    zmq_msg_move(owned, &message)
                    frames.append(Data(bytesNoCopy: zmq_msg_data(owned), count: size, deallocator: .custom { _, _ in
                        zmq_msg_close(owned)
                        owned.deallocate()
                    }))
                } else {
                    frames.append(Data(bytes: zmq_msg_data(&message), count: size))
                }
            } else if frames.count < 8 {
                // Keep routing frames and the small envelope frames so an error can be sent back.
                frames.append(size <= 4096 ? Data(bytes: zmq_msg_data(&message), count: size) : Data())
            }
            zmq_msg_close(&message)
            if !more { break }
        }
        return ReceivedMessage(frames: frames, totalBytes: totalBytes, exceededLimit: truncated)
    }

    public struct ReceivedMessage {
        public var frames: [Data]
        public var totalBytes: Int
        /// True when the message was larger than the byte limit; then only the leading
        /// small frames were kept.
        public var exceededLimit: Bool
    }
}

/// Waits on sockets and plain file descriptors together.
public struct ZMQPoller {
    public enum Source {
        case socket(ZMQSocket)
        case fileDescriptor(Int32)
    }

    private var items: [zmq_pollitem_t]

    public init(_ sources: [Source]) {
        items = sources.map { source in
            var item = zmq_pollitem_t()
            switch source {
            case let .socket(socket): item.socket = socket.raw
            case let .fileDescriptor(fd): item.fd = fd
            }
            item.events = Int16(ZMQ_POLLIN)
            return item
        }
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever). Returns which sources are readable.
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> [Bool] {
        let count = items.count
        let result = items.withUnsafeMutableBufferPointer { buffer in
            zmq_poll(buffer.baseAddress, Int32(count), timeoutMilliseconds)
        }
        if result < 0 {
            let error = ZMQError("poll")
            if error.code == EINTR { return Array(repeating: false, count: count) }
            throw error
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// Keeps a Data alive while libzmq owns a pointer into it.
private final class DataBox {
    let data: Data
    init(_ data: Data) { self.data = data }
}
