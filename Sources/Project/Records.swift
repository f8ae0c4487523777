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
    /// How far the accepted map agrees with HoVerNet's segmentation of the crop before
    /// annotation (the model had not seen it): the annotator's corrections, as scores.
    /// Nil when there was no model yet or nothing in either map.
    public var proposalDice: Double?
    public var proposalAJI: Double?

    public init(id: Int64? = nil, cycle: Int, imageName: String, cropX: Int, cropY: Int, cropWidth: Int,
                cropHeight: Int, instanceMapSHA256: String, instanceMapPath: String, nucleusCount: Int,
                clicks: String, clickCount: Int, seconds: Double, modelSHA256: String, annotator: String,
                createdAt: Date = Date(), proposalDice: Double? = nil, proposalAJI: Double? = nil) {
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
        self.proposalDice = proposalDice
        self.proposalAJI = proposalAJI
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The scores of a cycle's HoVerNet model on the evaluation set (image-wise means).
public struct CycleScores: Codable, Sendable, Equatable {
    public var dice1, dice2, aji, ajiPlus, dq, sq, pq: Double

    public init(dice1: Double, dice2: Double, aji: Double, ajiPlus: Double, dq: Double, sq: Double, pq: Double) {
        self.dice1 = dice1
        self.dice2 = dice2
        self.aji = aji
        self.ajiPlus = ajiPlus
        self.dq = dq
        self.sq = sq
        self.pq = pq
    }
}

/// One completed cycle: its scores (none when the project has no evaluation set) and the
/// effort so far. The scores are columns of their own, NULL when unscored.
public struct CycleRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "cycle"
    public var number: Int
    private var dice1, dice2, aji, ajiPlus, dq, sq, pq: Double?
    public var clicks: Int
    public var annotatedNuclei: Int
    public var seconds: Double
    public var hovernetModelSHA256: String
    public var interactiveModelSHA256: String
    public var completedAt: Date

    public init(number: Int, scores: CycleScores?, clicks: Int, annotatedNuclei: Int, seconds: Double,
                hovernetModelSHA256: String, interactiveModelSHA256: String, completedAt: Date = Date()) {
        self.number = number
        (dice1, dice2, aji, ajiPlus) = (scores?.dice1, scores?.dice2, scores?.aji, scores?.ajiPlus)
        (dq, sq, pq) = (scores?.dq, scores?.sq, scores?.pq)
        self.clicks = clicks
        self.annotatedNuclei = annotatedNuclei
        self.seconds = seconds
        self.hovernetModelSHA256 = hovernetModelSHA256
        self.interactiveModelSHA256 = interactiveModelSHA256
        self.completedAt = completedAt
    }

    public var scores: CycleScores? {
        guard let dice1, let dice2, let aji, let ajiPlus, let dq, let sq, let pq else { return nil }
        return CycleScores(dice1: dice1, dice2: dice2, aji: aji, ajiPlus: ajiPlus, dq: dq, sq: sq, pq: pq)
    }
}
