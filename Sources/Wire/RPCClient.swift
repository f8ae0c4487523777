import CZeroMQ
import Foundation
import SwiftProtobuf
import Synchronization
import ZeroMQ

/// A reply at the level of bytes.
public struct RawReply: Sendable {
    public var body: Data
    public var attachments: [Data]
}

/// Calls a service over a DEALER socket. Safe to share between tasks: the socket lives
/// on the client's own I/O thread, callers hand it requests through a queue.
///
/// A call fails with UNAVAILABLE when no connection to the service is made within
/// `connectTimeout`, DEADLINE_EXCEEDED when no reply arrives in time, CANCELLED when its
/// task is cancelled, and otherwise with the status the service replied.
public final class RPCClient: Sendable {
    public let configuration: ClientConfiguration
    private let mailbox = ClientMailbox()
    private let nextRequestID = Atomic<UInt64>(1)

    public init(_ configuration: ClientConfiguration) throws(RPCError) {
        self.configuration = configuration
        let ready = DispatchSemaphore(value: 0)
        let outcome = Mutex<RPCError?>(nil)
        let loop = ClientLoop(configuration: configuration, mailbox: mailbox)
        let thread = Thread {
            loop.run { error in
                outcome.withLock { $0 = error }
                ready.signal()
            }
        }
        thread.name = "rpc-client"
        thread.start()
        ready.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    public convenience init(endpoint: String) throws(RPCError) {
        try self.init(ClientConfiguration(endpoint: endpoint))
    }

    deinit { close() }

    /// Fails calls still waiting with CANCELLED and closes the socket.
    public func close() {
        mailbox.post(.close)
    }

    /// Calls `method` with a protobuf request and decodes the reply as `Response`.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, returning: Response.Type = Response.self,
        attachments: [Data] = [], options: CallOptions = CallOptions()
    ) async throws(RPCError) -> (Response, [Data]) {
        let body: Data
        do {
            body = try request.serializedData()
        } catch {
            throw .invalidArgument("cannot encode \(Request.protoMessageName): \(error)")
        }
        let reply = try await callRaw(method, body: body, attachments: attachments, options: options)
        do {
            return (try Response(serializedBytes: reply.body), reply.attachments)
        } catch {
            throw .internal("reply of \(method) does not decode as \(Response.protoMessageName): \(error)")
        }
    }

    /// As `call`, for replies without attachments.
    public func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, returning: Response.Type = Response.self,
        options: CallOptions = CallOptions()
    ) async throws(RPCError) -> Response {
        try await call(method, request, returning: Response.self, options: options).0
    }

    public func callRaw(_ method: String, body: Data, attachments: [Data] = [],
                        options: CallOptions = CallOptions()) async throws(RPCError) -> RawReply {
        let id = nextRequestID.wrappingAdd(1, ordering: .relaxed).oldValue
        let timeout = options.timeout ?? configuration.defaultTimeout
        let mailbox = self.mailbox
        let result: Result<RawReply, RPCError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: .failure(RPCError(.cancelled, "\(method) cancelled by the caller")))
                    return
                }
                let call = PendingCall(id: id, method: method, body: body, attachments: attachments,
                                       options: options, timeout: timeout, continuation: continuation)
                if !mailbox.post(.send(call)) {
                    continuation.resume(returning: .failure(RPCError(.cancelled, "client is closed")))
                }
            }
        } onCancel: {
            mailbox.post(.cancel(id))
        }
        return try result.get()
    }

    /// `Health`, answered by every service.
    public func health(echo: Data = Data(), timeout: Duration? = nil) async throws(RPCError) -> Annotator_V1_HealthResponse {
        var request = Annotator_V1_HealthRequest()
        request.echo = echo
        return try await unary("Health", request, options: CallOptions(timeout: timeout, idempotent: true))
    }

    /// `Info`, answered by every service.
    public func info(timeout: Duration? = nil) async throws(RPCError) -> Annotator_V1_InfoResponse {
        try await unary("Info", Annotator_V1_InfoRequest(), options: CallOptions(timeout: timeout, idempotent: true))
    }
}

/// Commands from callers to the I/O thread, with the fd that wakes it.
final class ClientMailbox: Sendable {
    enum Command {
        case send(PendingCall)
        case cancel(UInt64)
        case close
    }

    private struct Queue {
        var commands: [Command] = []
        var closed = false
    }

    private let queue = Mutex(Queue())
    let wakeup = WakeupSignal()

    /// False when the client is closed (the command is dropped).
    @discardableResult
    func post(_ command: Command) -> Bool {
        let accepted = queue.withLock { queue in
            guard !queue.closed else { return false }
            if case .close = command { queue.closed = true }
            queue.commands.append(command)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    func take() -> [Command] {
        queue.withLock { queue in
            defer { queue.commands.removeAll(keepingCapacity: true) }
            return queue.commands
        }
    }
}

/// A call owned by the I/O thread from the moment it is queued.
final class PendingCall: @unchecked Sendable {
    // Handed from the caller to the I/O thread once, through the mailbox's lock; only the
    // I/O thread touches it afterwards.
    let id: UInt64
    let method: String
    let body: Data
    let attachments: [Data]
    let options: CallOptions
    let deadline: ContinuousClock.Instant
    private let continuation: CheckedContinuation<Result<RawReply, RPCError>, Never>
    var attempt: UInt32 = 0
    var firstSendTry: ContinuousClock.Instant?
    var nextSendAt: ContinuousClock.Instant? = .now
    var sentAt: ContinuousClock.Instant?

    init(id: UInt64, method: String, body: Data, attachments: [Data], options: CallOptions, timeout: Duration,
         continuation: CheckedContinuation<Result<RawReply, RPCError>, Never>) {
        self.id = id
        self.method = method
        self.body = body
        self.attachments = attachments
        self.options = options
        self.deadline = .now + timeout
        self.continuation = continuation
    }

    func finish(_ result: Result<RawReply, RPCError>) {
        continuation.resume(returning: result)
    }
}

/// The I/O thread of a client: owns the DEALER socket and every pending call.
private final class ClientLoop: @unchecked Sendable {
    // Touched only on its own thread once `run` starts.
    let configuration: ClientConfiguration
    let mailbox: ClientMailbox
    var pending: [UInt64: PendingCall] = [:]

    init(configuration: ClientConfiguration, mailbox: ClientMailbox) {
        self.configuration = configuration
        self.mailbox = mailbox
    }

    private var endpointDescription: String { configuration.endpoints.joined(separator: ", ") }

    func run(reportReady: (RPCError?) -> Void) {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(kind: .dealer)
            // Queue only to completed connections, so "no service" shows as EAGAIN.
            try socket.setOption(ZMQ_IMMEDIATE, Int32(1))
            try socket.setLinger(milliseconds: 1000)
            try socket.setOption(ZMQ_MAXMSGSIZE, Int64(configuration.maxMessageBytes) * 2)
            try socket.setOption(ZMQ_SNDHWM, Int32(0))
            try socket.setOption(ZMQ_RCVHWM, Int32(0))
            try socket.setOption(ZMQ_RECONNECT_IVL, Int32(20))
            try socket.setOption(ZMQ_RECONNECT_IVL_MAX, Int32(1000))
            for endpoint in configuration.endpoints { try socket.connect(endpoint) }
        } catch {
            reportReady(.invalidArgument("cannot connect to \(endpointDescription): \(error)"))
            return
        }
        reportReady(nil)

        var poller = ZMQPoller([.socket(socket), .fileDescriptor(mailbox.wakeup.fileDescriptor)])
        var closing = false
        while !closing {
            let readable: [Bool]
            do {
                readable = try poller.poll(timeoutMilliseconds: pollTimeout())
            } catch {
                failAll(RPCError(.internal, "client poll failed: \(error)"))
                break
            }
            if readable[1] {
                mailbox.wakeup.drain()
                for command in mailbox.take() {
                    switch command {
                    case let .send(call): pending[call.id] = call
                    case let .cancel(id):
                        pending.removeValue(forKey: id)?.finish(.failure(RPCError(.cancelled, "call cancelled by the caller")))
                    case .close: closing = true
                    }
                }
            }
            if readable[0] { receiveReplies(socket) }
            if !closing { advance(socket) }
        }
        failAll(RPCError(.cancelled, "client closed"))
        socket.close()
    }

    private func failAll(_ error: RPCError) {
        for call in pending.values { call.finish(.failure(error)) }
        pending.removeAll()
    }

    /// Milliseconds until the earliest deadline, retry or resend among pending calls.
    private func pollTimeout() -> Int {
        guard !pending.isEmpty else { return -1 }
        let now = ContinuousClock.now
        var earliest = now + .seconds(1)
        for call in pending.values {
            earliest = min(earliest, call.deadline)
            if let next = call.nextSendAt { earliest = min(earliest, next) }
            if let sent = call.sentAt, let attemptTimeout = call.options.attemptTimeout, call.options.idempotent {
                earliest = min(earliest, sent + attemptTimeout)
            }
        }
        let wait = earliest - now
        if wait <= .zero { return 0 }
        let (seconds, attoseconds) = wait.components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    private func receiveReplies(_ socket: ZMQSocket) {
        while true {
            let message: ZMQSocket.ReceivedMessage?
            do {
                message = try socket.receive(dontWait: true, byteLimit: configuration.maxMessageBytes)
            } catch {
                return
            }
            guard let message else { return }
            let header = Framing.salvageHeader(message.frames[...])
            guard let call = pending[header.requestID] else { continue }  // late reply to a finished call
            if message.exceededLimit {
                complete(call, .failure(.resourceExhausted(
                    "reply of \(call.method) has \(message.totalBytes) bytes, over the client's limit of \(configuration.maxMessageBytes)")))
                continue
            }
            let envelope: Framing.Envelope
            do {
                envelope = try Framing.decode(message.frames[...])
            } catch {
                complete(call, .failure(RPCError(.internal, "malformed reply to \(call.method): \(error.message)")))
                continue
            }
            let status = RPCStatus(wire: envelope.header.status.code)
            if status == .ok {
                complete(call, .success(RawReply(body: envelope.body, attachments: envelope.attachments)))
            } else if status == .unavailable && call.options.idempotent && canRetry(call) {
                scheduleRetry(call)
            } else {
                let message = envelope.header.status.message
                complete(call, .failure(RPCError(envelope.header.status.code == .unspecified ? .internal : status,
                                                 message.isEmpty ? "\(call.method) failed with \(status.name)" : message)))
            }
        }
    }

    private func canRetry(_ call: PendingCall) -> Bool {
        Int(call.attempt) < configuration.retry.maxAttempts
            && ContinuousClock.now + configuration.retry.backoff(afterAttempt: Int(call.attempt)) < call.deadline
    }

    private func scheduleRetry(_ call: PendingCall) {
        call.sentAt = nil
        call.nextSendAt = .now + configuration.retry.backoff(afterAttempt: Int(call.attempt))
    }

    private func complete(_ call: PendingCall, _ result: Result<RawReply, RPCError>) {
        pending.removeValue(forKey: call.id)
        call.finish(result)
    }

    /// Sends what is due, resends idempotent calls whose attempt timed out, and fails
    /// calls past their deadline.
    private func advance(_ socket: ZMQSocket) {
        let now = ContinuousClock.now
        for call in Array(pending.values) {
            if now >= call.deadline {
                if call.sentAt == nil && call.attempt == 0 {
                    complete(call, .failure(.unavailable(
                        "no connection to \(endpointDescription) before the deadline of \(call.method); is the service running?")))
                } else {
                    complete(call, .failure(RPCError(.deadlineExceeded,
                        "no reply from \(endpointDescription) to \(call.method) within the deadline")))
                }
                continue
            }
            if let sent = call.sentAt, call.options.idempotent, let attemptTimeout = call.options.attemptTimeout,
               now >= sent + attemptTimeout, canRetry(call) {
                call.sentAt = nil
                call.nextSendAt = now
            }
            if let next = call.nextSendAt, now >= next {
                trySend(call, on: socket, now: now)
            }
        }
    }

    private func trySend(_ call: PendingCall, on socket: ZMQSocket, now: ContinuousClock.Instant) {
        var header = Annotator_V1_Header()
        header.method = call.method
        header.requestID = call.id
        header.attempt = call.attempt + 1
        let remaining = call.deadline - now
        header.timeoutMs = UInt32(clamping: max(1, remaining.components.seconds * 1000
            + remaining.components.attoseconds / 1_000_000_000_000_000))
        let frames = Framing.encode(Framing.Envelope(header: header, body: call.body, attachments: call.attachments))
        do {
            try socket.send(frames, dontWait: true)
            call.attempt += 1
            call.sentAt = now
            call.nextSendAt = nil
            call.firstSendTry = nil
        } catch {
            guard error.wouldBlock else {
                complete(call, .failure(.unavailable("cannot send \(call.method) to \(endpointDescription): \(error)")))
                return
            }
            // No completed connection yet: wait for one, up to the connect timeout.
            let started = call.firstSendTry ?? now
            call.firstSendTry = started
            if now - started >= configuration.connectTimeout {
                complete(call, .failure(.unavailable(
                    "no connection to \(endpointDescription) within \(configuration.connectTimeout); is the service running?")))
            } else {
                call.nextSendAt = now + .milliseconds(2)
            }
        }
    }
}
