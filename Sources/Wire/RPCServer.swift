import CZeroMQ
import Foundation
import SwiftProtobuf
import Synchronization
import ZeroMQ

/// Hosts one service on a ROUTER socket. The socket lives on the server's own I/O thread;
/// handlers run as tasks and hand their replies back through a queue and a wake-up fd.
///
/// Lifecycle: `start()` binds (errors are thrown there), `shutdown()` stops accepting new
/// calls (they get UNAVAILABLE), waits for in-flight calls to reply, then closes.
public final class RPCServer: Sendable {
    public let service: ServiceDefinition
    public let configuration: ServerConfiguration
    private let state = Mutex(SharedState())
    private let wakeup = WakeupSignal()

    private struct SharedState {
        var outbox: [[Data]] = []
        var inFlight = 0
        var draining = false
        var drainStarted: ContinuousClock.Instant?
        var started = false
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public init(service: ServiceDefinition, configuration: ServerConfiguration) {
        self.service = service
        self.configuration = configuration
    }

    /// Binds and starts serving. Returns the bound endpoint (with the port chosen for
    /// `tcp://…:*`).
    @discardableResult
    public func start() throws(RPCError) -> String {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { throw .failedPrecondition("server for \(service.name) already started") }
        let bound = Mutex<Result<String, RPCError>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            self.serve { result in
                bound.withLock { $0 = result }
                ready.signal()
            }
        }
        thread.name = "rpc-server-\(service.name)"
        thread.start()
        ready.wait()
        return try bound.withLock { $0! }.get()
    }

    /// Stops accepting calls; returns at once. `wait()` returns when the server has stopped.
    public func beginShutdown() {
        state.withLock { state in
            if !state.draining {
                state.draining = true
                state.drainStarted = .now
            }
        }
        wakeup.signal()
    }

    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.stopped || !state.started { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Drains in-flight calls and stops.
    public func shutdown() async {
        beginShutdown()
        await wait()
    }

    // MARK: - I/O thread

    private func serve(reportBound: (Result<String, RPCError>) -> Void) {
        let socket: ZMQSocket
        let endpoint: String
        do {
            socket = try ZMQSocket(kind: .router)
            try socket.setLinger(milliseconds: configuration.lingerMilliseconds)
            try socket.setOption(ZMQ_MAXMSGSIZE, Int64(configuration.maxMessageBytes) * 2)
            try socket.setOption(ZMQ_SNDHWM, Int32(0))
            try socket.setOption(ZMQ_RCVHWM, Int32(0))
            try socket.bind(configuration.endpoint)
            endpoint = configuration.endpoint.hasPrefix("tcp://") ? try socket.lastEndpoint() : configuration.endpoint
        } catch {
            state.withLock { $0.stopped = true }
            reportBound(.failure(.unavailable("cannot serve \(service.name) on \(configuration.endpoint): \(error)")))
            return
        }
        reportBound(.success(endpoint))
        configuration.log("\(service.name): serving on \(endpoint)")

        var poller = ZMQPoller([.socket(socket), .fileDescriptor(wakeup.fileDescriptor)])
        while true {
            let draining = state.withLock { $0.draining }
            let readable: [Bool]
            do {
                readable = try poller.poll(timeoutMilliseconds: draining ? 50 : 1000)
            } catch {
                configuration.log("\(service.name): poll failed, stopping: \(error)")
                break
            }
            if readable[1] { wakeup.drain() }
            flushOutbox(socket)
            if readable[0] {
                // Drain everything queued so one busy client cannot starve the outbox.
                while let message = receive(socket) {
                    handle(message, on: socket)
                    flushOutbox(socket)
                }
            }
            if shouldStop() { break }
        }
        flushOutbox(socket)
        lingerBeforeClose(socket, poller: &poller)
        socket.close()
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        configuration.log("\(service.name): stopped")
        for waiter in waiters { waiter.resume() }
    }

    /// Replies queued just before zmq_close can be lost even with a linger period (seen
    /// under load with libzmq 4.3), so the socket stays open for a short grace period,
    /// answering anything that still arrives (with UNAVAILABLE, as it is draining).
    private func lingerBeforeClose(_ socket: ZMQSocket, poller: inout ZMQPoller) {
        let end = ContinuousClock.now + configuration.closeGrace
        while ContinuousClock.now < end {
            guard let readable = try? poller.poll(timeoutMilliseconds: 20) else { break }
            if readable[1] { wakeup.drain() }
            if readable[0] {
                while let message = receive(socket) { handle(message, on: socket) }
            }
            flushOutbox(socket)
        }
    }

    private func receive(_ socket: ZMQSocket) -> ZMQSocket.ReceivedMessage? {
        do {
            return try socket.receive(dontWait: true, byteLimit: configuration.maxMessageBytes + 4096)
        } catch {
            configuration.log("\(service.name): receive failed: \(error)")
            return nil
        }
    }

    private func shouldStop() -> Bool {
        state.withLock { state in
            guard state.draining else { return false }
            if state.inFlight == 0 && state.outbox.isEmpty { return true }
            if let started = state.drainStarted, ContinuousClock.now - started > configuration.drainTimeout {
                configuration.log("\(service.name): drain timeout, closing with \(state.inFlight) call(s) in flight")
                return true
            }
            return false
        }
    }

    private func flushOutbox(_ socket: ZMQSocket) {
        let replies = state.withLock { state in
            defer { state.outbox.removeAll(keepingCapacity: true) }
            return state.outbox
        }
        for frames in replies { send(frames, on: socket) }
    }

    private func send(_ frames: [Data], on socket: ZMQSocket) {
        do {
            try socket.send(frames)
        } catch {
            // The peer is gone; ROUTER drops replies to unknown peers, so this is rare.
            configuration.log("\(service.name): could not send a reply: \(error)")
        }
    }

    private func handle(_ message: ZMQSocket.ReceivedMessage, on socket: ZMQSocket) {
        let frames = message.frames
        guard !frames.isEmpty else { return }
        // ROUTER prepends the peer identity; REQ peers add an empty delimiter after it.
        let routingCount = frames.count > 1 && frames[1].isEmpty ? 2 : 1
        let routing = Array(frames.prefix(routingCount))
        let payload = frames[routingCount...]

        func reply(_ header: Annotator_V1_Header, _ error: RPCError) {
            send(routing + Self.errorFrames(for: header, error), on: socket)
        }

        if message.exceededLimit {
            reply(Framing.salvageHeader(payload), .resourceExhausted(
                "message of \(message.totalBytes) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))
            return
        }
        let envelope: Framing.Envelope
        do {
            envelope = try Framing.decode(payload)
        } catch {
            reply(Framing.salvageHeader(payload), error)
            return
        }
        let header = envelope.header
        switch header.method {
        case "Health":
            answerHealth(envelope, routing: routing, socket: socket)
            return
        case "Info":
            answerInfo(envelope, routing: routing, socket: socket)
            return
        default:
            break
        }
        guard let handler = service.methods[header.method] else {
            let known = service.methodNames.joined(separator: ", ")
            let shown = header.method.isEmpty ? "(empty)" : "'\(header.method)'"
            reply(header, RPCError(.unimplemented, "unknown method \(shown); \(service.name) has: \(known)"))
            return
        }
        let admission: RPCError? = state.withLock { state in
            if state.draining { return .unavailable("\(service.name) is shutting down") }
            if state.inFlight >= configuration.maxInFlight {
                return .resourceExhausted("\(service.name) has \(state.inFlight) calls in flight (limit \(configuration.maxInFlight)); retry later")
            }
            state.inFlight += 1
            return nil
        }
        if let admission {
            reply(header, admission)
            return
        }
        let deadline: ContinuousClock.Instant? =
            header.timeoutMs > 0 ? .now + .milliseconds(Int64(header.timeoutMs)) : nil
        let context = RequestContext(method: header.method, requestID: header.requestID, attempt: header.attempt,
                                     deadline: deadline, attachments: envelope.attachments)
        let body = envelope.body
        Task.detached { [self] in
            let frames: [Data]
            do throws(RPCError) {
                let result = try await handler.run(body, context)
                frames = routing + Self.replyFrames(for: header, status: .ok, body: result.body,
                                                    attachments: result.attachments)
            } catch {
                frames = routing + Self.errorFrames(for: header, error)
            }
            state.withLock { state in
                state.outbox.append(frames)
                state.inFlight -= 1
            }
            wakeup.signal()
        }
    }

    private func answerHealth(_ envelope: Framing.Envelope, routing: [Data], socket: ZMQSocket) {
        let request: Annotator_V1_HealthRequest
        do {
            request = try Annotator_V1_HealthRequest(serializedBytes: envelope.body)
        } catch {
            send(routing + Self.errorFrames(for: envelope.header,
                                            .invalidArgument("body of Health does not decode as annotator.v1.HealthRequest: \(error)")),
                 on: socket)
            return
        }
        let (draining, inFlight) = state.withLock { ($0.draining, $0.inFlight) }
        var response = Annotator_V1_HealthResponse()
        response.status = draining ? .draining : .serving
        response.echo = request.echo
        response.inFlight = UInt32(inFlight)
        send(routing + Self.replyFrames(for: envelope.header, status: .ok, body: (try? response.serializedData()) ?? Data()),
             on: socket)
    }

    private func answerInfo(_ envelope: Framing.Envelope, routing: [Data], socket: ZMQSocket) {
        var response = Annotator_V1_InfoResponse()
        response.service = service.name
        response.version = service.version
        response.protocolVersion = Framing.protocolVersion
        response.maxMessageBytes = UInt64(configuration.maxMessageBytes)
        response.methods = service.methodNames.map { name in
            var info = Annotator_V1_MethodInfo()
            info.name = name
            info.idempotent = service.methods[name]?.idempotent ?? true
            return info
        }
        send(routing + Self.replyFrames(for: envelope.header, status: .ok, body: (try? response.serializedData()) ?? Data()),
             on: socket)
    }

    static func replyFrames(for request: Annotator_V1_Header, status: RPCStatus, message: String = "", body: Data,
                            attachments: [Data] = []) -> [Data] {
        var header = Annotator_V1_Header()
        header.method = request.method
        header.requestID = request.requestID
        header.attempt = request.attempt
        header.status.code = status.wire
        header.status.message = message
        return Framing.encode(Framing.Envelope(header: header, body: body, attachments: attachments))
    }

    static func errorFrames(for request: Annotator_V1_Header, _ error: RPCError) -> [Data] {
        replyFrames(for: request, status: error.status, message: error.message, body: Data())
    }
}
