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

    /// A fresh temporary folder.
    public static func temporaryDirectory(_ label: String = "test") -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("annotator-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A unique ipc:// endpoint in the temporary folder.
    public static func ipcEndpoint(_ label: String = "test") -> String {
        "ipc://" + FileManager.default.temporaryDirectory
            .appendingPathComponent("annotator-\(label)-\(UUID().uuidString.prefix(8)).sock").path
    }
}

/// Tests seed the project's generator so they never depend on the system RNG.
public typealias SeededGenerator = SplitMix64
