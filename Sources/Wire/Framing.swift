import Foundation
import SwiftProtobuf

/// The multipart layout of every request and reply (after any routing frames):
///
///     frame 0  protocol tag   ASCII "annotator/1" (name / protocol version)
///     frame 1  header         annotator.v1.Header
///     frame 2  body           the method's request or response message
///     frame 3… attachments    raw bytes referenced from the body (header.attachment_count)
///
/// Pure functions: no sockets here.
public enum Framing {
    public static let protocolVersion: UInt32 = 1
    public static let protocolTag = Data("annotator/\(protocolVersion)".utf8)

    public struct Envelope: Sendable {
        public var header: Annotator_V1_Header
        public var body: Data
        public var attachments: [Data]

        public init(header: Annotator_V1_Header, body: Data, attachments: [Data] = []) {
            self.header = header
            self.body = body
            self.attachments = attachments
        }
    }

    public static func encode(_ envelope: Envelope) -> [Data] {
        var header = envelope.header
        header.attachmentCount = UInt32(envelope.attachments.count)
        // Serialising a header built from valid fields cannot fail.
        let headerBytes = (try? header.serializedData()) ?? Data()
        return [protocolTag, headerBytes, envelope.body] + envelope.attachments
    }

    /// Parses frames (routing frames already removed). Errors carry a status for the reply.
    public static func decode(_ frames: ArraySlice<Data>) throws(RPCError) -> Envelope {
        guard let tag = frames.first else {
            throw .invalidArgument("empty message: expected protocol tag, header and body frames")
        }
        guard tag == protocolTag else {
            let shown = String(decoding: tag.prefix(32), as: UTF8.self)
            if shown.hasPrefix("annotator/") {
                throw RPCError(.unimplemented, "protocol '\(shown)' is not supported; this service speaks 'annotator/\(protocolVersion)'")
            }
            throw .invalidArgument("frame 0 is not a protocol tag (got \(tag.count) bytes '\(printable(shown))'); expected 'annotator/\(protocolVersion)'")
        }
        guard frames.count >= 3 else {
            throw .invalidArgument("message has \(frames.count) frame(s); expected protocol tag, header and body")
        }
        let header: Annotator_V1_Header
        do {
            header = try Annotator_V1_Header(serializedBytes: frames[frames.startIndex + 1])
        } catch {
            throw .invalidArgument("frame 1 does not decode as annotator.v1.Header: \(error)")
        }
        let attachments = Array(frames.dropFirst(3))
        guard Int(header.attachmentCount) == attachments.count else {
            throw .invalidArgument("header declares \(header.attachmentCount) attachment frame(s), message has \(attachments.count)")
        }
        return Envelope(header: header, body: frames[frames.startIndex + 2], attachments: attachments)
    }

    /// A best-effort header from a message that failed to decode, to echo its id.
    static func salvageHeader(_ frames: ArraySlice<Data>) -> Annotator_V1_Header {
        guard frames.count >= 2, frames.first == protocolTag,
              let header = try? Annotator_V1_Header(serializedBytes: frames[frames.startIndex + 1])
        else { return Annotator_V1_Header() }
        return header
    }

    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
