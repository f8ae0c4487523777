/// How a service is hosted. Every field has a documented default.
public struct ServerConfiguration: Sendable {
    /// Where to listen: `inproc://NAME` (same process), `ipc:///path` or `tcp://HOST:PORT`
    /// (`tcp://127.0.0.1:*` picks a free port; `RPCServer.start` returns it).
    public var endpoint: String
    /// Largest request accepted, all frames together. Larger ones are answered
    /// RESOURCE_EXHAUSTED without being decoded. Default 256 MiB. A single frame beyond
    /// twice this makes libzmq drop the connection instead (memory guard).
    public var maxMessageBytes: Int = 256 << 20
    /// Calls executing at once; beyond it new calls get RESOURCE_EXHAUSTED. Default 64.
    public var maxInFlight: Int = 64
    /// How long unsent replies are kept after the socket closes. Default 5 s; never 0,
    /// or a last large reply can be dropped.
    public var lingerMilliseconds: Int32 = 5000
    /// How long the socket stays open after the last reply before it closes, so that the
    /// reply leaves the process. Default 250 ms.
    public var closeGrace: Duration = .milliseconds(250)
    /// How long shutdown waits for in-flight calls before closing anyway. Default 60 s.
    public var drainTimeout: Duration = .seconds(60)
    /// Where the server reports what it does (default: standard error).
    public var log: @Sendable (String) -> Void = { message in
        FileHandleLog.standardError("\(message)\n")
    }

    public init(endpoint: String) {
        self.endpoint = endpoint
    }
}

import Foundation

enum FileHandleLog {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
