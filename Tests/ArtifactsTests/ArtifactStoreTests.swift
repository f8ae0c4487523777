import Artifacts
import Foundation
import TestSupport
import XCTest

final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testBufferAndByteUpdatesAgree() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var byBuffer = SHA256()
        bytes.withUnsafeBytes { byBuffer.update(UnsafeRawBufferPointer(rebasing: $0[0..<3])) }
        bytes.withUnsafeBytes { byBuffer.update(UnsafeRawBufferPointer(rebasing: $0[3...])) }
        XCTAssertEqual(byBuffer.finalize().map { String(format: "%02x", $0) }.joined(), SHA256.hex(of: bytes))
    }
}

final class ArtifactStoreTests: XCTestCase {
    func testPutFindAndReadByContent() throws {
        let store = try ArtifactStore(root: TestPaths.temporaryDirectory("artifacts"))
        let data = Data("model weights".utf8)
        let artifact = try store.put(data, kind: "hovernet-model", fileExtension: "safetensors")
        XCTAssertEqual(artifact.sha256, SHA256.hex(of: data))
        XCTAssertEqual(artifact.url.lastPathComponent, "\(artifact.sha256).safetensors")
        XCTAssertEqual(try store.put(data, kind: "hovernet-model", fileExtension: "safetensors"), artifact)
        XCTAssertEqual(try store.find(artifact.sha256).url, artifact.url)
        XCTAssertEqual(try store.read(artifact), data)
    }

    func testMissingTamperedAndMalformedDigestsAreErrors() throws {
        let store = try ArtifactStore(root: TestPaths.temporaryDirectory("artifacts"))
        XCTAssertThrowsError(try store.find(String(repeating: "0", count: 64))) { error in
            XCTAssertEqual(error as? ArtifactError, .notFound(sha256: String(repeating: "0", count: 64)))
        }
        XCTAssertThrowsError(try store.find("xyz")) { error in
            XCTAssertEqual(error as? ArtifactError, .invalidDigest("xyz"))
        }
        let artifact = try store.put(Data([1, 2, 3]), kind: "dataset")
        try Data([9, 9, 9]).write(to: artifact.url)
        XCTAssertThrowsError(try store.read(artifact)) { error in
            guard case .digestMismatch = error as? ArtifactError else { return XCTFail("\(error)") }
        }
    }
}
