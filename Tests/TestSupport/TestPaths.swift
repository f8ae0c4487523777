import Foundation
import Randomness

/// Where tests find the repository's fixtures and the optional shared data set.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let metricFixtures = repository.appendingPathComponent("Tests/Fixtures/metrics")

    /// `../shared` next to the repository, or ANNOTATOR_SHARED; nil when absent.
    public static var shared: URL? {
        let candidates = [ProcessInfo.processInfo.environment["ANNOTATOR_SHARED"].map { URL(fileURLWithPath: $0) },
                          repository.deletingLastPathComponent().appendingPathComponent("shared")].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("data/monuseg").path) }
    }

    public static var monuseg: URL? { shared?.appendingPathComponent("data/monuseg") }

    /// A fresh temporary folder, removed when the test process exits.
    public static func temporaryDirectory(_ label: String = "test") -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("annotator-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TemporaryItems.shared.removeAtExit(url.path)
        return url
    }

    /// A unique ipc:// endpoint in the temporary folder; its socket file is removed when the
    /// test process exits (a server that is never closed leaves it behind).
    public static func ipcEndpoint(_ label: String = "test") -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("annotator-\(label)-\(UUID().uuidString.prefix(8)).sock").path
        TemporaryItems.shared.removeAtExit(path)
        return "ipc://" + path
    }
}

/// Paths the tests made, removed when the process exits so that repeated `make test` runs
/// leave nothing in the temporary folder. ANNOTATOR_KEEP_TEST_FILES=1 keeps them for a
/// post-mortem.
final class TemporaryItems: @unchecked Sendable {
    static let shared = TemporaryItems()
    private let lock = NSLock()
    private var paths: [String] = []
    private var hookInstalled = false

    func removeAtExit(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.append(path)
        guard !hookInstalled else { return }
        hookInstalled = true
        atexit { TemporaryItems.shared.removeAll() }
    }

    private func removeAll() {
        guard ProcessInfo.processInfo.environment["ANNOTATOR_KEEP_TEST_FILES"] != "1" else { return }
        lock.lock()
        let created = paths
        paths = []
        lock.unlock()
        for path in created { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Tests seed the project's generator so they never depend on the system RNG.
public typealias SeededGenerator = SplitMix64
