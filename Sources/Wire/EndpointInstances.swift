#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Instances behind one endpoint: a `tcp://NAME:PORT` whose name resolves to several IPv4
/// addresses (a scaled compose or Kubernetes service) becomes one endpoint per address,
/// so that a client can balance over them and keep stateful work on one of them. Any
/// other endpoint (one address, ipc://, inproc://, unresolvable) is returned as given.
public enum EndpointInstances {
    public static func expand(_ endpoint: String) -> [String] {
        guard endpoint.hasPrefix("tcp://") else { return [endpoint] }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return [endpoint] }
        let host = String(rest[..<colon]), port = String(rest[rest.index(after: colon)...])
        guard !host.isEmpty, host != "*", host.first?.isNumber == false else { return [endpoint] }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else { return [endpoint] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, entry.pointee.ai_family == AF_INET {
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                    var raw = ipv4.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN))
                }
                let dotted = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(dotted) { addresses.append(dotted) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.count > 1 ? addresses.map { "tcp://\($0):\(port)" } : [endpoint]
    }
}
