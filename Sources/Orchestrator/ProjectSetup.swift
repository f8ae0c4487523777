import Foundation
import Orchestration
import Project

/// Opens (or creates) a project for a run: checks the folders, splits one folder into
/// pool and evaluation set when both are the same, and refuses to continue a project
/// with other settings than it was started with.
public enum ProjectSetup {
    /// `evaluation` nil: no evaluation set, the cycles run unscored.
    public static func prepare(project path: String, pool: URL, evaluation: URL?, plan: CyclePlan,
                               fresh: Bool) throws -> (store: ProjectStore, settings: RunSettings) {
        let projectURL = URL(fileURLWithPath: path).standardizedFileURL
        let workspace = Workspace(projectFile: projectURL.path)
        let manager = FileManager.default
        if fresh {
            for url in [projectURL, workspace.root] { try? manager.removeItem(at: url) }
            for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: projectURL.path + suffix) }
        }
        try manager.createDirectory(at: projectURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manager.createDirectory(at: workspace.root, withIntermediateDirectories: true)
        guard manager.fileExists(atPath: pool.path) else { throw CycleSourceError.pool("\(pool.path) does not exist") }
        if let evaluation, !manager.fileExists(atPath: evaluation.path) {
            throw CycleSourceError.evaluation("\(evaluation.path) does not exist")
        }
        let poolFolder = pool.standardizedFileURL, evaluationFolder = evaluation?.standardizedFileURL
        let sources = poolFolder == evaluationFolder
            ? try CycleSources.splitting(poolFolder, into: workspace)
            : CycleSources(pool: poolFolder, evaluation: evaluationFolder)
        let images = try sources.validate()
        try plan.validate()
        let settings = RunSettings(plan: plan, sources: sources, workspace: workspace)
        let store = try ProjectStore(path: projectURL.path)
        if let stored = try RunSettings.load(from: store), stored != settings {
            throw ProjectError.conflict("""
                \(path) was started with other settings; resume it as it is (`annotator cycle resume`), \
                or start over (--fresh, or another project)
                """)
        }
        try settings.save(to: store)
        // Images already known (a resumed run) are kept as they are.
        for image in images { try store.addImage(image) }
        return (store, settings)
    }
}
