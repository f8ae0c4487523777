import Foundation
import SwiftProtobuf

/// What a handler knows about the call it serves.
public struct RequestContext: Sendable {
    public let method: String
    public let requestID: UInt64
    public let attempt: UInt32
    /// When the caller stops waiting; nil when it set no deadline.
    public let deadline: ContinuousClock.Instant?
    /// Raw frames after the body, referenced 1-based from fields named `attachment`.
    public let attachments: [Data]

    public init(method: String, requestID: UInt64, attempt: UInt32, deadline: ContinuousClock.Instant?,
                attachments: [Data]) {
        self.method = method
        self.requestID = requestID
        self.attempt = attempt
        self.deadline = deadline
        self.attachments = attachments
    }

    /// The bytes of attachment `index` (1-based), or `inline` when index is 0.
    public func bytes(inline: Data, attachment index: UInt32, field: String) throws(RPCError) -> Data {
        if index == 0 { return inline }
        guard Int(index) <= attachments.count else {
            throw .invalidArgument("\(field) refers to attachment \(index), but the message has \(attachments.count)")
        }
        return attachments[Int(index) - 1]
    }
}

/// A reply body plus optional raw attachment frames.
public struct HandlerReply: Sendable {
    public var body: Data
    public var attachments: [Data]

    public init(body: Data, attachments: [Data] = []) {
        self.body = body
        self.attachments = attachments
    }
}

/// One method of a service, at the level of bytes.
public struct MethodHandler: Sendable {
    public let name: String
    /// Calling twice has the effect of calling once: clients may retry it.
    public let idempotent: Bool
    public let run: @Sendable (Data, RequestContext) async throws(RPCError) -> HandlerReply
}

/// A service: its name, version and methods. `Health` and `Info` are answered by the
/// server itself for every service.
public struct ServiceDefinition: Sendable {
    public let name: String
    public let version: String
    public private(set) var methods: [String: MethodHandler] = [:]

    public init(name: String, version: String = AnnotatorVersion.current) {
        self.name = name
        self.version = version
    }

    /// Registers a method taking and returning protobuf messages. Errors other than
    /// `RPCError` become INTERNAL.
    public mutating func method<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ name: String, idempotent: Bool,
        _ handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        methodWithAttachments(name, idempotent: idempotent) { (request: Request, context) in
            (try await handler(request, context), [])
        }
    }

    /// As `method`, for handlers that return raw attachment frames with the reply.
    public mutating func methodWithAttachments<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ name: String, idempotent: Bool,
        _ handler: @escaping @Sendable (Request, RequestContext) async throws -> (Response, [Data])
    ) {
        precondition(!Self.builtInMethods.contains(name), "\(name) is answered by the server itself")
        let serviceName = self.name
        methods[name] = MethodHandler(name: name, idempotent: idempotent) { (body, context) throws(RPCError) in
            let request: Request
            do {
                request = try Request(serializedBytes: body)
            } catch {
                throw .invalidArgument("body of \(name) does not decode as \(Request.protoMessageName): \(error)")
            }
            do {
                let (response, attachments) = try await handler(request, context)
                return HandlerReply(body: try response.serializedData(), attachments: attachments)
            } catch let error as RPCError {
                throw error
            } catch {
                throw .internal("\(serviceName).\(name) failed: \(error)")
            }
        }
    }

    public static let builtInMethods: Set<String> = ["Health", "Info"]

    /// Every method name, the built-in ones included, sorted.
    public var methodNames: [String] { (Array(methods.keys) + Self.builtInMethods).sorted() }
}

public enum AnnotatorVersion {
    public static let current = "0.1.0"
}
