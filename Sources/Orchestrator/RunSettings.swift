import Foundation
import Orchestration
import Project

/// How a project runs, stored in the project so that `cycle resume` needs only the file:
/// the plan, the image folders and the workspace.
public struct RunSettings: Codable, Sendable, Equatable {
    public var plan: CyclePlan
    public var sources: CycleSources
    public var workspace: Workspace

    public init(plan: CyclePlan, sources: CycleSources, workspace: Workspace) {
        self.plan = plan
        self.sources = sources
        self.workspace = workspace
    }

    static let key = "run"

    public static func load(from project: ProjectStore) throws -> RunSettings? {
        guard let text = try project.setting(key) else { return nil }
        return try JSONDecoder().decode(RunSettings.self, from: Data(text.utf8))
    }

    public func save(to project: ProjectStore) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try project.setSetting(Self.key, String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}
