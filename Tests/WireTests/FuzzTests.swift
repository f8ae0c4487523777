import CZeroMQ
import Foundation
import TestSupport
@testable import Wire
import XCTest
import ZeroMQ

/// Sends thousands of random and mutated messages to a running service from a raw socket,
/// then checks it still answers correctly.
final class FuzzTests: XCTestCase {
    func testServiceSurvivesTenThousandMalformedMessages() async throws {
        var configuration = ServerConfiguration(endpoint: TestPaths.ipcEndpoint("fuzz"))
        configuration.log = { _ in }
        configuration.maxMessageBytes = 1 << 20
        let server = RPCServer(service: TestService().definition, configuration: configuration)
        let endpoint = try server.start()

        var generator = SeededGenerator(seed: 20261125)
        var valid = Annotator_V1_Header()
        valid.method = "Echo"
        valid.requestID = 1
        var echo = Annotator_V1_HealthRequest()
        echo.echo = Data("fuzz".utf8)
        let template = Framing.encode(Framing.Envelope(header: valid, body: try echo.serializedData()))

        let socket = try ZMQSocket(kind: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoint)
        var replies = 0
        let total = 10_000
        for index in 0..<total {
            let frames = mutate(template, &generator, index: index)
            try socket.send(frames)
            while let reply = try socket.receive(dontWait: true) {
                replies += 1
                XCTAssertEqual(reply.frames.first, Framing.protocolTag, "replies always start with the protocol tag")
            }
        }
        // Collect the remaining replies for a moment; every message that reached a handler
        // or failed to decode is answered (none may crash the service).
        let deadline = ContinuousClock.now + .seconds(10)
        while replies < total && ContinuousClock.now < deadline {
            if let reply = try socket.receive(dontWait: true) {
                replies += 1
                XCTAssertEqual(reply.frames.first, Framing.protocolTag)
            } else {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        XCTAssertEqual(replies, total, "every message gets exactly one reply")
        socket.close()

        let client = try RPCClient(endpoint: endpoint)
        let reply: Annotator_V1_HealthResponse = try await client.unary("Echo", echo)
        XCTAssertEqual(reply.echo, Data("fuzz".utf8))
        let awaited1 = try await client.health()
        XCTAssertEqual(awaited1.status, .serving)
        client.close()
        await server.shutdown()
    }

    private func mutate(_ template: [Data], _ generator: inout SeededGenerator, index: Int) -> [Data] {
        func randomBytes(_ count: Int) -> Data {
            Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        var frames = template
        switch index % 8 {
        case 0:  // entirely random frames
            frames = (0..<Int.random(in: 1...5, using: &generator)).map { _ in randomBytes(Int.random(in: 0...64, using: &generator)) }
        case 1:  // flipped bytes in the header
            if !frames[1].isEmpty {
                for _ in 0..<3 { frames[1][Int.random(in: 0..<frames[1].count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator) }
            }
        case 2:  // garbage body
            frames[2] = randomBytes(Int.random(in: 1...128, using: &generator))
        case 3:  // dropped frames
            frames = Array(frames.prefix(Int.random(in: 1...2, using: &generator)))
        case 4:  // extra frames the header does not declare
            frames.append(randomBytes(16))
        case 5:  // wrong protocol tag
            frames[0] = Bool.random(using: &generator) ? Data("annotator/2".utf8) : randomBytes(11)
        case 6:  // oversized body
            frames[2] = Data(count: (1 << 20) + 1)
        default:  // a valid call with a random method name
            var header = Annotator_V1_Header()
            header.method = String(decoding: randomBytes(6).map { 97 + $0 % 26 }, as: UTF8.self)
            frames[1] = (try? header.serializedData()) ?? Data()
        }
        // A first frame that is empty would be taken for a REQ delimiter; keep it non-empty.
        if frames[0].isEmpty { frames[0] = Data([0]) }
        return frames
    }
}
