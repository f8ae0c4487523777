import Foundation
@testable import Wire
import XCTest

final class FramingTests: XCTestCase {
    func testEnvelopeRoundTrips() throws {
        var header = Annotator_V1_Header()
        header.method = "Evaluate"
        header.requestID = 42
        header.timeoutMs = 1500
        let frames = Framing.encode(Framing.Envelope(header: header, body: Data([1, 2, 3]), attachments: [Data([9]), Data()]))
        XCTAssertEqual(frames.count, 5)
        XCTAssertEqual(frames[0], Data("annotator/1".utf8))
        let decoded = try Framing.decode(frames[...])
        XCTAssertEqual(decoded.header.method, "Evaluate")
        XCTAssertEqual(decoded.header.requestID, 42)
        XCTAssertEqual(decoded.header.attachmentCount, 2)
        XCTAssertEqual(decoded.body, Data([1, 2, 3]))
        XCTAssertEqual(decoded.attachments, [Data([9]), Data()])
    }

    func testMalformedMessagesNameTheProblem() {
        func status(_ frames: [Data]) -> RPCError? {
            do {
                _ = try Framing.decode(frames[...])
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(status([])?.status, .invalidArgument)
        XCTAssertTrue(status([Data("hello".utf8), Data(), Data()])?.message.contains("protocol tag") ?? false)
        let future = status([Data("annotator/9".utf8), Data(), Data()])
        XCTAssertEqual(future?.status, .unimplemented)
        XCTAssertTrue(future?.message.contains("annotator/9") ?? false)
        XCTAssertTrue(status([Framing.protocolTag, Data()])?.message.contains("2 frame") ?? false)
        XCTAssertTrue(status([Framing.protocolTag, Data([0xFF, 0xFF, 0xFF]), Data()])?.message.contains("Header") ?? false)
        var header = Annotator_V1_Header()
        header.attachmentCount = 3
        let headerBytes = try! header.serializedData()
        XCTAssertTrue(status([Framing.protocolTag, headerBytes, Data()])?.message.contains("3 attachment") ?? false)
    }

    func testStatusCodesAreGRPCPlusOne() {
        XCTAssertEqual(RPCStatus.ok.rawValue, 1)
        XCTAssertEqual(RPCStatus.invalidArgument.rawValue, 3 + 1)
        XCTAssertEqual(RPCStatus.deadlineExceeded.rawValue, 4 + 1)
        XCTAssertEqual(RPCStatus.resourceExhausted.rawValue, 8 + 1)
        XCTAssertEqual(RPCStatus.unavailable.rawValue, 14 + 1)
        for status in RPCStatus.allCases {
            XCTAssertEqual(status.wire.rawValue, status.rawValue, status.name)
        }
    }

    func testRetryBackoffDoublesUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(35))
        XCTAssertEqual(policy.backoff(afterAttempt: 1), .milliseconds(10))
        XCTAssertEqual(policy.backoff(afterAttempt: 2), .milliseconds(20))
        XCTAssertEqual(policy.backoff(afterAttempt: 3), .milliseconds(35))
    }
}
