import Datasets
import Foundation
import Project

/// The real images a project works on. The pool is a folder dataset whose label maps, if
/// present, only the simulated annotator reads (to decide where to click); the
/// evaluation set must have label maps, and is only ever scored against. A project
/// without one (a lab's own unlabelled images, annotated by a person) runs every cycle
/// but scores none.
public struct CycleSources: Sendable, Codable, Equatable {
    public var pool: URL
    public var evaluation: URL?

    public init(pool: URL, evaluation: URL?) {
        self.pool = pool
        self.evaluation = evaluation
    }

    /// Checks both folders before a run starts, so a bad folder fails in a second, not
    /// after an hour of training; returns their images (every one decoded once).
    @discardableResult
    public func validate() throws(CycleSourceError) -> [ProjectImage] {
        var sets: [(FolderDataset, ImageRole)] = []
        do {
            sets.append((try FolderDataset(root: pool, requireMasks: false), .pool))
        } catch {
            throw .pool("\(pool.path): \(error)")
        }
        if let evaluation {
            do {
                sets.append((try FolderDataset(root: evaluation, requireMasks: true), .evaluation))
            } catch {
                throw .evaluation("\(evaluation.path): \(error) (the evaluation set needs a label map per image)")
            }
        }
        var images: [ProjectImage] = []
        for (set, role) in sets {
            for sample in set.samples {
                do {
                    let image = try set.loadImage(sample)
                    images.append(ProjectImage(name: sample.name, path: sample.image.path, role: role,
                                               width: image.width, height: image.height))
                } catch {
                    let detail = "\(sample.image.lastPathComponent) does not decode: \(error)"
                    throw role == .pool ? .pool(detail) : .evaluation(detail)
                }
            }
        }
        return images
    }

    /// When one folder is both pool and evaluation set, splits it (every third image is
    /// for evaluation only) into `workspace`'s pool/ and eval/ folders of links.
    public static func splitting(_ folder: URL, into workspace: Workspace) throws -> CycleSources {
        let dataset: FolderDataset
        do {
            dataset = try FolderDataset(root: folder, requireMasks: true)
        } catch {
            throw CycleSourceError.evaluation("""
                \(folder.path) cannot give an evaluation set (\(error)); give a labelled --eval folder, \
                or --no-eval to run unscored
                """)
        }
        guard dataset.samples.count >= 2 else {
            throw CycleSourceError.pool("\(folder.path) has \(dataset.samples.count) image(s); give a separate --eval folder")
        }
        let manager = FileManager.default
        for target in [workspace.pool, workspace.evaluation] {
            try? manager.removeItem(at: target)
            try manager.createDirectory(at: target.appendingPathComponent("images"), withIntermediateDirectories: true)
            try manager.createDirectory(at: target.appendingPathComponent("instance_masks"), withIntermediateDirectories: true)
        }
        for (index, sample) in dataset.samples.enumerated() {
            let target = index % 3 == 2 ? workspace.evaluation : workspace.pool
            try manager.createSymbolicLink(at: target.appendingPathComponent("images").appendingPathComponent(sample.image.lastPathComponent),
                                           withDestinationURL: sample.image.standardizedFileURL)
            if let mask = sample.mask {
                try manager.createSymbolicLink(at: target.appendingPathComponent("instance_masks").appendingPathComponent(mask.lastPathComponent),
                                               withDestinationURL: mask.standardizedFileURL)
            }
        }
        return CycleSources(pool: workspace.pool, evaluation: workspace.evaluation)
    }
}

/// Why a project's folders cannot be used.
public enum CycleSourceError: Error, Sendable, CustomStringConvertible {
    case pool(String)
    case evaluation(String)

    public var description: String {
        switch self {
        case let .pool(detail): "pool: \(detail)"
        case let .evaluation(detail): "evaluation set: \(detail)"
        }
    }
}

extension CycleSources {
    /// Whether `folder` holds a label map for every image (it can then be split into pool
    /// and evaluation set, and guide the simulated annotator).
    public static func isLabelled(_ folder: URL) -> Bool {
        (try? FolderDataset(root: folder, requireMasks: true)) != nil
    }
}
