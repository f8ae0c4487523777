import Artifacts
import Foundation
import Project

/// What a project has made, copied out for use elsewhere: the two models of one evaluated
/// cycle and every annotation accepted up to that cycle as a dataset folder. Each file is
/// checked against the content hash the project recorded, so what leaves is what was scored.
public enum ProjectExport {
    public struct Summary: Codable, Sendable, Equatable {
        public var cycle: Int
        public var hovernetModel: String
        public var hovernetModelSHA256: String
        public var interactiveModel: String
        public var interactiveModelSHA256: String
        /// The dataset folder of the accepted annotations (images/ and instance_masks/).
        public var annotations: String
        public var annotatedCrops: Int
        public var nuclei: Int
        public var clicks: Int
        /// The cycle's scores on the project's evaluation set (absent when it has none).
        public var dice1: Double?
        public var aji: Double?
        public var pq: Double?
    }

    /// Exports `cycle` (default: the last evaluated one) into `output`: hovernet.safetensors,
    /// interactive.safetensors, annotations/ and export.json (the summary).
    public static func export(_ project: ProjectStore, cycle: Int? = nil, to output: URL) throws(ProjectExportError) -> Summary {
        let cycles: [CycleRecord], annotations: [AnnotationRecord]
        do {
            cycles = try project.cycles()
        } catch {
            throw .project("\(error)")
        }
        let record: CycleRecord
        if let cycle {
            guard let asked = cycles.first(where: { $0.number == cycle }) else {
                throw .noSuchCycle(cycle, evaluated: cycles.map(\.number).sorted())
            }
            record = asked
        } else {
            guard let last = cycles.max(by: { $0.number < $1.number }) else { throw .nothingEvaluated(project.path) }
            record = last
        }
        do {
            annotations = try project.annotations(upToCycle: record.number)
        } catch {
            throw .project("\(error)")
        }
        let folder = output.appendingPathComponent("annotations")
        try create(folder.appendingPathComponent("images"))
        try create(folder.appendingPathComponent("instance_masks"))

        let hovernet = output.appendingPathComponent("hovernet.safetensors")
        let interactive = output.appendingPathComponent("interactive.safetensors")
        try copyArtifact(record.hovernetModelSHA256, kind: "HoVerNet model", from: project, to: hovernet)
        try copyArtifact(record.interactiveModelSHA256, kind: "interactive model", from: project, to: interactive)
        for annotation in annotations {
            let map = URL(fileURLWithPath: annotation.instanceMapPath)
            let name = map.lastPathComponent
            // The crop sits next to its map, in the annotation folder's images/.
            let image = map.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("images").appendingPathComponent(name)
            try copy(map, to: folder.appendingPathComponent("instance_masks").appendingPathComponent(name),
                     expecting: annotation.instanceMapSHA256, what: "annotation of \(annotation.imageName)")
            try copy(image, to: folder.appendingPathComponent("images").appendingPathComponent(name),
                     expecting: nil, what: "annotated crop of \(annotation.imageName)")
        }
        let summary = Summary(
            cycle: record.number, hovernetModel: hovernet.path, hovernetModelSHA256: record.hovernetModelSHA256,
            interactiveModel: interactive.path, interactiveModelSHA256: record.interactiveModelSHA256,
            annotations: folder.path, annotatedCrops: annotations.count,
            nuclei: annotations.reduce(0) { $0 + $1.nucleusCount }, clicks: annotations.reduce(0) { $0 + $1.clickCount },
            dice1: record.scores?.dice1, aji: record.scores?.aji, pq: record.scores?.pq)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let summaryFile = output.appendingPathComponent("export.json")
        do {
            try encoder.encode(summary).write(to: summaryFile, options: .atomic)
        } catch {
            throw .cannotWrite(summaryFile.path)
        }
        return summary
    }

    private static func copyArtifact(_ sha256: String, kind: String, from project: ProjectStore, to target: URL)
        throws(ProjectExportError) {
        let artifact: ArtifactRecord?
        do {
            artifact = try project.artifact(sha256)
        } catch {
            throw .project("\(error)")
        }
        guard let artifact else { throw .unrecorded(what: kind, sha256: sha256) }
        try copy(URL(fileURLWithPath: artifact.path), to: target, expecting: sha256, what: kind)
    }

    private static func copy(_ source: URL, to target: URL, expecting sha256: String?, what: String)
        throws(ProjectExportError) {
        let data: Data
        do {
            data = try Data(contentsOf: source)
        } catch {
            throw .unreadable(what: what, path: source.path)
        }
        if let sha256, SHA256.hex(of: data) != sha256 { throw .changed(what: what, path: source.path) }
        do {
            try data.write(to: target, options: .atomic)
        } catch {
            throw .cannotWrite(target.path)
        }
    }

    private static func create(_ folder: URL) throws(ProjectExportError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(folder.path)
        }
    }
}

/// Why a project could not be exported.
public enum ProjectExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The project file could not be read.
    case project(String)
    /// No cycle has been evaluated yet: there is no model to hand out.
    case nothingEvaluated(String)
    /// The cycle asked for was not evaluated.
    case noSuchCycle(Int, evaluated: [Int])
    /// A model the cycle names is not among the project's artifacts.
    case unrecorded(what: String, sha256: String)
    /// A file the project names is gone or unreadable (e.g. on a remote service's disk).
    case unreadable(what: String, path: String)
    /// A file no longer has the content the project recorded.
    case changed(what: String, path: String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case let .project(detail): detail
        case let .nothingEvaluated(path): "\(path) has no evaluated cycle yet: run or resume it first"
        case let .noSuchCycle(cycle, evaluated):
            "cycle \(cycle) was not evaluated" + (evaluated.isEmpty ? "" : " (evaluated: \(evaluated.map(String.init).joined(separator: ", ")))")
        case let .unrecorded(what, sha256): "the \(what) \(sha256.prefix(12))… is not recorded in the project"
        case let .unreadable(what, path): "cannot read the \(what) at \(path)"
        case let .changed(what, path): "the \(what) at \(path) has changed since the project recorded it"
        case let .cannotWrite(path): "cannot write \(path)"
        }
    }
}
