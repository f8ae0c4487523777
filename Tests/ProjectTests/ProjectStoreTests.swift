import Foundation
import GRDB
import Project
import TestSupport
import XCTest

final class ProjectStoreTests: XCTestCase {
    private func annotation(cycle: Int, x: Int) -> AnnotationRecord {
        AnnotationRecord(cycle: cycle, imageName: "img", cropX: x, cropY: 0, cropWidth: 400, cropHeight: 400,
                         instanceMapSHA256: String(repeating: "b", count: 64), instanceMapPath: "maps/b.png",
                         nucleusCount: 42, clicks: "[]", clickCount: 50, seconds: 12.5,
                         modelSHA256: String(repeating: "c", count: 64), annotator: "simulated")
    }

    static let scores = CycleScores(dice1: 0.8, dice2: 0.7, aji: 0.6, ajiPlus: 0.61, dq: 0.7, sq: 0.78, pq: 0.55)

    func testStateSurvivesReopeningTheFile() throws {
        let path = TestPaths.temporaryDirectory("project").appendingPathComponent("project.sqlite").path
        do {
            let store = try ProjectStore(path: path)
            try store.addImage(ProjectImage(name: "a", path: "/data/a.tif", role: .pool, width: 1000, height: 1000))
            try store.completeStep(StepRecord(cycle: 1, name: "synthesis", output: #"{"dataset":"x"}"#, seconds: 3))
            var proposed = annotation(cycle: 2, x: 0)
            (proposed.proposalDice, proposed.proposalAJI) = (0.9, 0.7)
            let stored = try store.recordAnnotation(proposed)
            XCTAssertNotNil(stored.id)
            try store.recordCycle(CycleRecord(number: 1, scores: Self.scores, clicks: 0, annotatedNuclei: 0, seconds: 100,
                                              hovernetModelSHA256: "h", interactiveModelSHA256: "i"))
            try store.recordCycle(CycleRecord(number: 2, scores: nil, clicks: 50, annotatedNuclei: 42, seconds: 90,
                                              hovernetModelSHA256: "h2", interactiveModelSHA256: "i2"))
        }
        let reopened = try ProjectStore(path: path)
        XCTAssertEqual(try reopened.images(role: .pool).map(\.name), ["a"])
        XCTAssertEqual(try reopened.completedStep(cycle: 1, name: "synthesis")?.output, #"{"dataset":"x"}"#)
        XCTAssertNil(try reopened.completedStep(cycle: 1, name: "refinement"))
        XCTAssertEqual(try reopened.annotations().map(\.proposalAJI), [0.7])
        let cycles = try reopened.cycles()
        XCTAssertEqual(cycles.map(\.number), [1, 2])
        XCTAssertEqual(cycles.first?.scores, Self.scores)
        XCTAssertNil(cycles.last?.scores, "a cycle without an evaluation set stays unscored")
        XCTAssertEqual(cycles.last?.annotatedNuclei, 42)
    }

    func testAcceptingTheSameCropTwiceStoresOneAnnotation() throws {
        let store = try ProjectStore(path: TestPaths.temporaryDirectory("project").appendingPathComponent("p.sqlite").path)
        let first = try store.recordAnnotation(annotation(cycle: 2, x: 0))
        let again = try store.recordAnnotation(annotation(cycle: 2, x: 0))
        XCTAssertEqual(first.id, again.id)
        try store.recordAnnotation(annotation(cycle: 3, x: 400))
        XCTAssertEqual(try store.annotations().count, 2)
        XCTAssertEqual(try store.annotations(upToCycle: 2).count, 1)
        XCTAssertEqual(try store.addImage(ProjectImage(name: "a", path: "p", role: .pool, width: 1, height: 1)).id,
                       try store.addImage(ProjectImage(name: "a", path: "p", role: .pool, width: 1, height: 1)).id)
    }

    func testHistoryImportTakesTheFirstCyclesOnlyAndOnlyIntoANewProject() throws {
        let folder = TestPaths.temporaryDirectory("project-import")
        let source = try ProjectStore(path: folder.appendingPathComponent("a.sqlite").path)
        for cycle in 1...3 {
            try source.completeStep(StepRecord(cycle: cycle, name: "evaluate", output: "{\"c\":\(cycle)}", seconds: 1))
            try source.recordCycle(CycleRecord(number: cycle, scores: Self.scores, clicks: 0, annotatedNuclei: 0, seconds: 1,
                                               hovernetModelSHA256: "h", interactiveModelSHA256: "i"))
            if cycle > 1 { try source.recordAnnotation(annotation(cycle: cycle, x: cycle)) }
        }
        let target = try ProjectStore(path: folder.appendingPathComponent("b.sqlite").path)
        try target.importHistory(from: source, throughCycle: 2)
        XCTAssertEqual(try target.completedSteps().map(\.cycle), [1, 2])
        XCTAssertEqual(try target.cycles().map(\.number), [1, 2])
        XCTAssertEqual(try target.annotations().map(\.cycle), [2])
        XCTAssertThrowsError(try target.importHistory(from: source, throughCycle: 1)) { error in
            guard case ProjectError.conflict = error else { return XCTFail("\(error)") }
        }
    }

    func testSettingsAreStoredAndReplaced() throws {
        let store = try ProjectStore(path: TestPaths.temporaryDirectory("project").appendingPathComponent("p.sqlite").path)
        XCTAssertNil(try store.setting("run"))
        try store.setSetting("run", "one")
        try store.setSetting("run", "two")
        XCTAssertEqual(try store.setting("run"), "two")
    }

    func testUnopenableFileNamesThePath() {
        XCTAssertThrowsError(try ProjectStore(path: "/nonexistent-folder/p.sqlite")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent-folder/p.sqlite"), "\(error)")
        }
    }

    /// A project file written before cycles could be unscored (every score NOT NULL) opens,
    /// keeps its cycles and annotations, and then takes an unscored cycle.
    func testAProjectFromBeforeUnscoredCyclesKeepsItsCyclesAndAnnotations() throws {
        let path = TestPaths.temporaryDirectory("project-v2").appendingPathComponent("old.sqlite").path
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1'), ('v2-settings');
                CREATE TABLE cycle (number INTEGER PRIMARY KEY, dice1 DOUBLE NOT NULL, dice2 DOUBLE NOT NULL,
                    aji DOUBLE NOT NULL, ajiPlus DOUBLE NOT NULL, dq DOUBLE NOT NULL, sq DOUBLE NOT NULL, pq DOUBLE NOT NULL,
                    seconds DOUBLE NOT NULL, clicks INTEGER NOT NULL, annotatedNuclei INTEGER NOT NULL,
                    hovernetModelSHA256 TEXT NOT NULL, interactiveModelSHA256 TEXT NOT NULL, completedAt DATETIME NOT NULL);
                INSERT INTO cycle VALUES (1, 0.8, 0.7, 0.6, 0.61, 0.7, 0.78, 0.55, 100, 0, 0, 'h', 'i', '2026-11-20 10:00:00.000');
                CREATE TABLE annotation (id INTEGER PRIMARY KEY AUTOINCREMENT, cycle INTEGER NOT NULL, imageName TEXT NOT NULL,
                    cropX INTEGER NOT NULL, cropY INTEGER NOT NULL, cropWidth INTEGER NOT NULL, cropHeight INTEGER NOT NULL,
                    instanceMapSHA256 TEXT NOT NULL, instanceMapPath TEXT NOT NULL, nucleusCount INTEGER NOT NULL,
                    clicks TEXT NOT NULL, clickCount INTEGER NOT NULL, seconds DOUBLE NOT NULL, modelSHA256 TEXT NOT NULL,
                    annotator TEXT NOT NULL, createdAt DATETIME NOT NULL,
                    UNIQUE (cycle, imageName, cropX, cropY, cropWidth, cropHeight));
                INSERT INTO annotation VALUES (1, 2, 'img', 0, 0, 400, 400, 'b', 'maps/b.png', 42, '[]', 50, 12.5, 'c',
                    'simulated', '2026-11-20 10:00:00.000');
                """)
        }
        try old.close()
        let store = try ProjectStore(path: path)
        let kept = try store.cycles()
        XCTAssertEqual(kept.map(\.number), [1])
        XCTAssertEqual(kept.first?.scores, Self.scores)
        XCTAssertEqual(kept.first?.hovernetModelSHA256, "h")
        try store.recordCycle(CycleRecord(number: 2, scores: nil, clicks: 3, annotatedNuclei: 2, seconds: 5,
                                          hovernetModelSHA256: "h2", interactiveModelSHA256: "i2"))
        XCTAssertEqual(try store.cycles().map(\.scores), [Self.scores, nil])
        let annotations = try store.annotations()
        XCTAssertEqual(annotations.map(\.nucleusCount), [42])
        XCTAssertNil(annotations.first?.proposalAJI, "annotations from before proposals were scored have no agreement")
    }
}
