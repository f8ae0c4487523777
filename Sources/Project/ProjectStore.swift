import Foundation
import GRDB

/// The durable state of an annotation project in one SQLite file: images, artifacts,
/// completed steps, accepted annotations and cycle results. Every write is a transaction
/// that is committed before the call returns, so an annotation that was acknowledged
/// survives a kill, and a killed run resumes after its last completed step.
public final class ProjectStore: Sendable {
    private let database: DatabaseQueue
    public let path: String

    public init(path: String) throws(ProjectError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "image") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("name", .text).notNull()
                table.column("path", .text).notNull()
                table.column("role", .text).notNull()
                table.column("width", .integer).notNull()
                table.column("height", .integer).notNull()
                table.uniqueKey(["name", "role"])
            }
            try db.create(table: "artifact") { table in
                table.primaryKey("sha256", .text)
                table.column("kind", .text).notNull()
                table.column("path", .text).notNull()
                table.column("sizeBytes", .integer).notNull()
                table.column("parameters", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "step") { table in
                table.column("cycle", .integer).notNull()
                table.column("name", .text).notNull()
                table.column("output", .text).notNull()
                table.column("seconds", .double).notNull()
                table.column("completedAt", .datetime).notNull()
                table.primaryKey(["cycle", "name"])
            }
            try db.create(table: "annotation") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("cycle", .integer).notNull()
                table.column("imageName", .text).notNull()
                table.column("cropX", .integer).notNull()
                table.column("cropY", .integer).notNull()
                table.column("cropWidth", .integer).notNull()
                table.column("cropHeight", .integer).notNull()
                table.column("instanceMapSHA256", .text).notNull()
                table.column("instanceMapPath", .text).notNull()
                table.column("nucleusCount", .integer).notNull()
                table.column("clicks", .text).notNull()
                table.column("clickCount", .integer).notNull()
                table.column("seconds", .double).notNull()
                table.column("modelSHA256", .text).notNull()
                table.column("annotator", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                // One annotation per crop and cycle: a retried accept is not a second one.
                table.uniqueKey(["cycle", "imageName", "cropX", "cropY", "cropWidth", "cropHeight"])
            }
            try db.create(table: "cycle") { table in
                table.primaryKey("number", .integer)
                for column in ["dice1", "dice2", "aji", "ajiPlus", "dq", "sq", "pq", "seconds"] {
                    table.column(column, .double).notNull()
                }
                table.column("clicks", .integer).notNull()
                table.column("annotatedNuclei", .integer).notNull()
                table.column("hovernetModelSHA256", .text).notNull()
                table.column("interactiveModelSHA256", .text).notNull()
                table.column("completedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2-settings") { db in
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("v3-unscored-cycles") { db in
            // A project without an evaluation set completes cycles with no scores. SQLite
            // cannot drop NOT NULL from a column, so the table is rebuilt with its rows.
            try db.create(table: "cycle_v3") { table in
                table.primaryKey("number", .integer)
                for column in scoreColumns { table.column(column, .double) }
                table.column("seconds", .double).notNull()
                table.column("clicks", .integer).notNull()
                table.column("annotatedNuclei", .integer).notNull()
                table.column("hovernetModelSHA256", .text).notNull()
                table.column("interactiveModelSHA256", .text).notNull()
                table.column("completedAt", .datetime).notNull()
            }
            let columns = (["number"] + scoreColumns + ["seconds", "clicks", "annotatedNuclei", "hovernetModelSHA256",
                                                         "interactiveModelSHA256", "completedAt"]).joined(separator: ", ")
            try db.execute(sql: "INSERT INTO cycle_v3 (\(columns)) SELECT \(columns) FROM cycle")
            try db.drop(table: "cycle")
            try db.rename(table: "cycle_v3", to: "cycle")
        }
        migrator.registerMigration("v4-proposal-agreement") { db in
            try db.alter(table: "annotation") { table in
                table.add(column: "proposalDice", .double)
                table.add(column: "proposalAJI", .double)
            }
        }
        return migrator
    }

    private static let scoreColumns = ["dice1", "dice2", "aji", "ajiPlus", "dq", "sq", "pq"]

    private func write<T>(_ body: (Database) throws -> T) throws(ProjectError) -> T {
        do {
            return try database.write(body)
        } catch let error as ProjectError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(ProjectError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw .storage("\(error)")
        }
    }

    // MARK: Images

    /// Adds an image, or returns the one already added under that name and role.
    @discardableResult
    public func addImage(_ image: ProjectImage) throws(ProjectError) -> ProjectImage {
        try write { db in
            if let existing = try ProjectImage.filter(Column("name") == image.name && Column("role") == image.role.rawValue)
                .fetchOne(db) {
                return existing
            }
            var inserted = image
            try inserted.insert(db)
            return inserted
        }
    }

    public func images(role: ImageRole) throws(ProjectError) -> [ProjectImage] {
        try read { db in try ProjectImage.filter(Column("role") == role.rawValue).order(Column("name")).fetchAll(db) }
    }

    // MARK: Artifacts

    public func recordArtifact(_ artifact: ArtifactRecord) throws(ProjectError) {
        try write { db in try artifact.insert(db, onConflict: .ignore) }
    }

    public func artifact(_ sha256: String) throws(ProjectError) -> ArtifactRecord? {
        try read { db in try ArtifactRecord.fetchOne(db, key: sha256) }
    }

    /// Every recorded artifact, oldest first.
    public func artifacts() throws(ProjectError) -> [ArtifactRecord] {
        try read { db in try ArtifactRecord.order(Column("createdAt")).fetchAll(db) }
    }

    // MARK: Steps

    public func completeStep(_ step: StepRecord) throws(ProjectError) {
        try write { db in try step.save(db) }
    }

    public func completedStep(cycle: Int, name: String) throws(ProjectError) -> StepRecord? {
        try read { db in try StepRecord.fetchOne(db, key: ["cycle": cycle, "name": name]) }
    }

    public func completedSteps() throws(ProjectError) -> [StepRecord] {
        try read { db in try StepRecord.order(Column("cycle"), Column("completedAt")).fetchAll(db) }
    }

    // MARK: Annotations

    /// Stores an accepted annotation (committed when this returns). Accepting the same
    /// crop of the same cycle again returns the stored record instead of a duplicate.
    @discardableResult
    public func recordAnnotation(_ annotation: AnnotationRecord) throws(ProjectError) -> AnnotationRecord {
        try write { db in
            let sameCrop = Column("cycle") == annotation.cycle && Column("imageName") == annotation.imageName
                && Column("cropX") == annotation.cropX && Column("cropY") == annotation.cropY
                && Column("cropWidth") == annotation.cropWidth && Column("cropHeight") == annotation.cropHeight
            if let existing = try AnnotationRecord.filter(sameCrop).fetchOne(db) { return existing }
            var inserted = annotation
            try inserted.insert(db)
            return inserted
        }
    }

    public func annotations(upToCycle cycle: Int = .max) throws(ProjectError) -> [AnnotationRecord] {
        try read { db in try AnnotationRecord.filter(Column("cycle") <= cycle).order(Column("id")).fetchAll(db) }
    }

    // MARK: Cycles

    public func recordCycle(_ cycle: CycleRecord) throws(ProjectError) {
        try write { db in try cycle.save(db) }
    }

    public func cycles() throws(ProjectError) -> [CycleRecord] {
        try read { db in try CycleRecord.order(Column("number")).fetchAll(db) }
    }

    // MARK: Settings

    /// Stores a named value (e.g. how the project runs: its plan, pool and endpoints).
    public func setSetting(_ key: String, _ value: String) throws(ProjectError) {
        try write { db in
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    public func setting(_ key: String) throws(ProjectError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    // MARK: History

    /// Copies another project's completed steps, cycle results and accepted annotations up
    /// to `cycle` into this one (which must have none yet), so that runs that differ only
    /// later (e.g. active vs random choice of crops) share their first cycles exactly.
    public func importHistory(from other: ProjectStore, throughCycle cycle: Int) throws(ProjectError) {
        let steps = try other.completedSteps().filter { $0.cycle <= cycle }
        let cycles = try other.cycles().filter { $0.number <= cycle }
        let annotations = try other.annotations(upToCycle: cycle)
        try write { db in
            guard try StepRecord.fetchCount(db) == 0 else {
                throw ProjectError.conflict("this project already has completed steps; import history into a new project")
            }
            for step in steps { try step.insert(db) }
            for record in cycles { try record.insert(db) }
            for var annotation in annotations {
                annotation.id = nil
                try annotation.insert(db)
            }
        }
    }
}
