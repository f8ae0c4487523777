import Foundation
import GRDB

/// What an image of the project is for.
public enum ImageRole: String, Codable, Sendable, DatabaseValueConvertible {
    /// Unannotated pool: synthesis draws on it, annotation crops come from it.
    case pool
    /// Evaluation set: only ever scored against.
    case evaluation
}

public struct ProjectImage: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "image"
    public var id: Int64?
    public var name: String
    public var path: String
    public var role: ImageRole
    public var width: Int
    public var height: Int

    public init(id: Int64? = nil, name: String, path: String, role: ImageRole, width: Int, height: Int) {
        self.id = id
        self.name = name
        self.path = path
        self.role = role
        self.width = width
        self.height = height
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A model, dataset or label map file by content hash, with what made it.
public struct ArtifactRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifact"
    public var sha256: String
    public var kind: String
    public var path: String
    public var sizeBytes: Int
    /// Parameters that produced it (JSON object as text).
    public var parameters: String
    public var createdAt: Date

    public init(sha256: String, kind: String, path: String, sizeBytes: Int, parameters: String = "{}",
                createdAt: Date = Date()) {
        self.sha256 = sha256
        self.kind = kind
        self.path = path
        self.sizeBytes = sizeBytes
        self.parameters = parameters
        self.createdAt = createdAt
    }
}

/// A completed step of a cycle; the cycle resumes after the last one.
public struct StepRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "step"
    public var cycle: Int
    public var name: String
    /// What the step produced (JSON object as text), e.g. a model's SHA-256.
    public var output: String
    public var seconds: Double
    public var completedAt: Date

    public init(cycle: Int, name: String, output: String = "{}", seconds: Double, completedAt: Date = Date()) {
        self.cycle = cycle
        self.name = name
        self.output = output
        self.seconds = seconds
        self.completedAt = completedAt
    }
}

/// One accepted annotation of a crop: the instance map, the clicks that made it, and who.
public struct AnnotationRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "annotation"
    public var id: Int64?
    public var cycle: Int
    public var imageName: String
    public var cropX: Int
    public var cropY: Int
    public var cropWidth: Int
    public var cropHeight: Int
    /// The instance map (16-bit PNG) by content hash, and where it is.
    public var instanceMapSHA256: String
    public var instanceMapPath: String
    public var nucleusCount: Int
    /// Every click with its timestamp (JSON array as text).
    public var clicks: String
    public var clickCount: Int
    public var seconds: Double
    /// The interactive model that proposed the masks.
    public var modelSHA256: String
    /// "simulated", "person:NAME" or "tool:NAME".
    public var annotator: String
    public var createdAt: Date

    public init(id: Int64? = nil, cycle: Int, imageName: String, cropX: Int, cropY: Int, cropWidth: Int,
                cropHeight: Int, instanceMapSHA256: String, instanceMapPath: String, nucleusCount: Int,
                clicks: String, clickCount: Int, seconds: Double, modelSHA256: String, annotator: String,
                createdAt: Date = Date()) {
        self.id = id
        self.cycle = cycle
        self.imageName = imageName
        self.cropX = cropX
        self.cropY = cropY
        self.cropWidth = cropWidth
        self.cropHeight = cropHeight
        self.instanceMapSHA256 = instanceMapSHA256
        self.instanceMapPath = instanceMapPath
        self.nucleusCount = nucleusCount
        self.clicks = clicks
        self.clickCount = clickCount
        self.seconds = seconds
        self.modelSHA256 = modelSHA256
        self.annotator = annotator
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The evaluation of one cycle, with its effort.
public struct CycleRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "cycle"
    public var number: Int
    public var dice1: Double
    public var dice2: Double
    public var aji: Double
    public var ajiPlus: Double
    public var dq: Double
    public var sq: Double
    public var pq: Double
    public var clicks: Int
    public var annotatedNuclei: Int
    public var seconds: Double
    public var hovernetModelSHA256: String
    public var interactiveModelSHA256: String
    public var completedAt: Date

    public init(number: Int, dice1: Double, dice2: Double, aji: Double, ajiPlus: Double, dq: Double, sq: Double,
                pq: Double, clicks: Int, annotatedNuclei: Int, seconds: Double, hovernetModelSHA256: String,
                interactiveModelSHA256: String, completedAt: Date = Date()) {
        self.number = number
        self.dice1 = dice1
        self.dice2 = dice2
        self.aji = aji
        self.ajiPlus = ajiPlus
        self.dq = dq
        self.sq = sq
        self.pq = pq
        self.clicks = clicks
        self.annotatedNuclei = annotatedNuclei
        self.seconds = seconds
        self.hovernetModelSHA256 = hovernetModelSHA256
        self.interactiveModelSHA256 = interactiveModelSHA256
        self.completedAt = completedAt
    }
}
