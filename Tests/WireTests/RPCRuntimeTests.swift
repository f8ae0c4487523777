import Foundation
import TestSupport
@testable import Wire
import XCTest
import ZeroMQ

final class RPCRuntimeTests: XCTestCase {
    private func start(_ service: TestService = TestService(), endpoint: String = TestPaths.ipcEndpoint("rpc"),
                       configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> (RPCServer, RPCClient) {
        var configuration = ServerConfiguration(endpoint: endpoint)
        configuration.log = { _ in }
        configure(&configuration)
        let server = RPCServer(service: service.definition, configuration: configuration)
        let bound = try server.start()
        return (server, try RPCClient(endpoint: bound))
    }


    func testHealthInfoAndEchoOverEveryTransport() async throws {
        for endpoint in ["inproc://rpc-\(UUID().uuidString)", TestPaths.ipcEndpoint("rpc"), "tcp://127.0.0.1:*"] {
            let (server, client) = try start(endpoint: endpoint)
            let health = try await client.health(echo: Data("ping".utf8))
            XCTAssertEqual(health.status, .serving)
            XCTAssertEqual(health.echo, Data("ping".utf8))
            let info = try await client.info()
            XCTAssertEqual(info.service, "test")
            XCTAssertEqual(info.protocolVersion, 1)
            XCTAssertEqual(info.methods.map(\.name), ["Crash", "Echo", "Fail", "Health", "Held", "Info", "Sleep"])
            let echo: Annotator_V1_HealthResponse = try await client.unary("Echo", echoRequest("hello"))
            XCTAssertEqual(echo.echo, Data("hello".utf8))
            client.close()
            await server.shutdown()
        }
    }

    func testLargePayloadsAndAttachmentsTravelIntact() async throws {
        let (server, client) = try start()
        let big = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let reply = try await client.health(echo: big)
        XCTAssertEqual(reply.echo, big)
        client.close()
        await server.shutdown()
    }

    func testErrorsCarryStatusAndMessage() async throws {
        let (server, client) = try start()
        do {
            let _: Annotator_V1_HealthResponse = try await client.unary("Fail", echoRequest(""))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error, RPCError(.notFound, "session 7 does not exist"))
        }
        do {
            let _: Annotator_V1_HealthResponse = try await client.unary("Crash", echoRequest(""))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .internal)
            XCTAssertTrue(error.message.contains("test.Crash"), error.message)
        }
        do {
            _ = try await client.callRaw("Nope", body: Data())
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .unimplemented)
            XCTAssertTrue(error.message.contains("'Nope'") && error.message.contains("Echo"), error.message)
        }
        do {
            _ = try await client.callRaw("Echo", body: Data([0xFF, 0xFF, 0xFF, 0xFF]))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("HealthRequest"), error.message)
        }
        let status = try await client.health()
        XCTAssertEqual(status.status, .serving)
        client.close()
        await server.shutdown()
    }

    func testOversizedMessageIsRefusedBeforeDecoding() async throws {
        let (server, client) = try start { $0.maxMessageBytes = 64 << 10 }
        do {
            _ = try await client.health(echo: Data(count: 100 << 10))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .resourceExhausted)
            XCTAssertTrue(error.message.contains("65536"), error.message)
        }
        let small = try await client.health(echo: Data(count: 1000))
        XCTAssertEqual(small.echo.count, 1000)
        client.close()
        await server.shutdown()
    }

    func testNoServiceIsUnavailable() async throws {
        var configuration = ClientConfiguration(endpoint: TestPaths.ipcEndpoint("nobody"))
        configuration.connectTimeout = .milliseconds(200)
        let client = try RPCClient(configuration)
        do {
            _ = try await client.health(timeout: .seconds(5))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .unavailable)
            XCTAssertTrue(error.message.contains("is the service running"), error.message)
        }
        client.close()
    }

    func testSlowCallExceedsItsDeadline() async throws {
        let (server, client) = try start()
        do {
            let _: Annotator_V1_HealthResponse = try await client.unary(
                "Sleep", echoRequest("600"), options: CallOptions(timeout: .milliseconds(100)))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .deadlineExceeded)
        }
        let status = try await client.health()
        XCTAssertEqual(status.status, .serving)
        client.close()
        await server.shutdown()
    }

    func testShutdownDrainsInFlightCallsAndRefusesNewOnes() async throws {
        let service = TestService()
        let (server, client) = try start(service)
        let held = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in
            try await client.unary("Held", echoRequest(""))
        }
        while service.gate.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        server.beginShutdown()
        let status = try await client.health()
        XCTAssertEqual(status.status, .draining)
        do {
            let _: Annotator_V1_HealthResponse = try await client.unary("Echo", echoRequest("x"),
                                                                        options: CallOptions(timeout: .milliseconds(300)))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .unavailable)
            XCTAssertTrue(error.message.contains("shutting down"), error.message)
        }
        service.gate.open()
        _ = try await held.value  // the in-flight call still gets its reply
        await server.wait()
        client.close()
    }

    func testCallsBeyondTheInFlightLimitAreResourceExhausted() async throws {
        let service = TestService()
        let (server, client) = try start(service) { $0.maxInFlight = 2 }
        let first = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in try await client.unary("Held", echoRequest("")) }
        let second = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in try await client.unary("Held", echoRequest("")) }
        while service.gate.waiting < 2 { try await Task.sleep(for: .milliseconds(5)) }
        do {
            let _: Annotator_V1_HealthResponse = try await client.unary("Held", echoRequest(""))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .resourceExhausted)
        }
        service.gate.open()
        _ = try await first.value
        _ = try await second.value
        client.close()
        await server.shutdown()
    }

    func testCallWaitsForAServiceThatStartsLate() async throws {
        let endpoint = TestPaths.ipcEndpoint("late")
        var configuration = ClientConfiguration(endpoint: endpoint)
        configuration.connectTimeout = .seconds(5)
        let client = try RPCClient(configuration)
        let call = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in
            try await client.unary("Echo", echoRequest("late"), options: .idempotent)
        }
        try await Task.sleep(for: .milliseconds(200))  // the call waits for a connection
        var serverConfiguration = ServerConfiguration(endpoint: endpoint)
        serverConfiguration.log = { _ in }
        let server = RPCServer(service: TestService().definition, configuration: serverConfiguration)
        try server.start()
        let late = try await call.value
        XCTAssertEqual(late.echo, Data("late".utf8))
        client.close()
        await server.shutdown()
    }

    func testIdempotentCallsAreRetriedOnAnotherInstanceWhenOneIsDraining() async throws {
        let draining = TestService()
        let (serverA, clientA) = try start(draining)
        let (serverB, clientB) = try start()
        let held = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in
            try await clientA.unary("Held", echoRequest(""))
        }
        while draining.gate.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        serverA.beginShutdown()  // A now answers UNAVAILABLE until its held call ends
        let both = try RPCClient(ClientConfiguration(endpoints: [serverA.configuration.endpoint, serverB.configuration.endpoint]))
        for index in 0..<20 {
            let reply: Annotator_V1_HealthResponse = try await both.unary("Echo", echoRequest("\(index)"), options: .idempotent)
            XCTAssertEqual(String(decoding: reply.echo, as: UTF8.self), "\(index)")
        }
        draining.gate.open()
        _ = try await held.value
        both.close()
        clientA.close()
        clientB.close()
        await serverA.wait()
        await serverB.shutdown()
    }

    func testCancellingTheCallerCancelsTheCall() async throws {
        let service = TestService()
        let (server, client) = try start(service)
        let call = Task { () async throws(RPCError) -> Annotator_V1_HealthResponse in try await client.unary("Held", echoRequest("")) }
        while service.gate.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        call.cancel()
        do {
            _ = try await call.value
            XCTFail("expected cancellation")
        } catch let error as RPCError {
            XCTAssertEqual(error.status, .cancelled)
        }
        service.gate.open()
        client.close()
        await server.shutdown()
    }

    func testConcurrentCallersShareOneClient() async throws {
        let service = TestService()
        let (server, client) = try start(service)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let reply: Annotator_V1_HealthResponse = try await client.unary("Echo", echoRequest("\(index)"))
                    XCTAssertEqual(String(decoding: reply.echo, as: UTF8.self), "\(index)")
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(service.calls.load(ordering: .relaxed), 64)
        client.close()
        await server.shutdown()
    }
}

private func echoRequest(_ payload: String) -> Annotator_V1_HealthRequest {
    var request = Annotator_V1_HealthRequest()
    request.echo = Data(payload.utf8)
    return request
}
