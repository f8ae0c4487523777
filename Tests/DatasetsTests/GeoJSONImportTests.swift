import Datasets
import Foundation
import Imaging
import TestSupport
import XCTest

final class GeoJSONImportTests: XCTestCase {
    private func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [[Double]] {
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    }

    private func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    func testTheProjectsOwnExportComesBackPixelForPixel() throws {
        var labels = LabelMap(width: 20, height: 14, repeating: 0)
        for y in 1..<5 { for x in 1..<4 { labels[x, y] = 1 } }          // a box
        for y in 6..<12 { labels[2, y] = 2 }                              // a one-pixel-wide bar
        for x in 2..<6 { labels[x, 11] = 2 }                              // … turned into an L
        for y in 2..<5 { for x in 8..<11 { labels[x, y] = 3 } }          // one nucleus in two pieces
        for y in 8..<10 { for x in 14..<17 { labels[x, y] = 3 } }
        for y in 9..<14 { for x in 17..<20 { labels[x, y] = 4 } }        // touching the image border and 3
        for y in 7..<12 { for x in 8..<13 { labels[x, y] = 5 } }         // a ring around a hole …
        labels[10, 9] = 0
        labels[9, 8] = 6                                                  // … and around another nucleus
        let parsed = try GeoJSONImport.outlines(in: GeoJSONExport.data(labels), path: "mem")
        XCTAssertEqual(parsed.skipped, [])
        XCTAssertEqual(parsed.outlines.map(\.polygons.count), [1, 1, 2, 1, 1, 1])
        XCTAssertEqual(parsed.outlines[4].polygons[0].count, 3, "the ring's outline and its two holes")
        let result = GeoJSONImport.rasterize(parsed.outlines, width: 20, height: 14)
        XCTAssertEqual(result.labels, labels)
        XCTAssertEqual(result.regionCount, 6)
    }

    func testQuPathCellsClassesHolesAndNonOutlines() throws {
        let features: [[String: Any]] = [
            // A QuPath cell: the nucleus outline is the one that counts.
            ["type": "Feature", "id": "cell-1",
             "geometry": ["type": "Polygon", "coordinates": [square(0, 0, 10, 10)]],
             "nucleusGeometry": ["type": "Polygon", "coordinates": [square(2, 2, 5, 5)]],
             "properties": ["objectType": "cell", "classification": ["name": "Nucleus"]]],
            // A ring with a hole.
            ["type": "Feature", "id": 7,
             "geometry": ["type": "Polygon", "coordinates": [square(10, 0, 16, 6), square(12, 2, 14, 4)]],
             "properties": ["classification": "Nucleus"]],
            // A tissue region of another class, and a point.
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(0, 0, 20, 20)]],
             "properties": ["classification": ["name": "Tumor"]]],
            ["type": "Feature", "id": "p", "geometry": ["type": "Point", "coordinates": [3, 3]],
             "properties": ["classification": ["name": "Nucleus"]]],
        ]
        let parsed = try GeoJSONImport.outlines(in: json(features), className: "Nucleus", path: "cells.geojson")
        XCTAssertEqual(parsed.outlines.map(\.id), ["cell-1", "7"])
        XCTAssertEqual(parsed.skipped.map(\.id), ["p"])
        XCTAssertTrue(parsed.skipped[0].reason.contains("Point"), parsed.skipped[0].reason)

        let result = GeoJSONImport.rasterize(parsed.outlines, skipped: parsed.skipped, width: 20, height: 12)
        XCTAssertEqual(result.labels.storage.filter { $0 == 1 }.count, 9)        // pixels 2...4 × 2...4
        XCTAssertEqual(result.labels[2, 2], 1)
        XCTAssertEqual(result.labels[5, 5], 0)
        XCTAssertEqual(result.labels.storage.filter { $0 == 2 }.count, 36 - 4)   // the hole is left out
        XCTAssertEqual(result.labels[12, 2], 0)
        XCTAssertEqual(result.regionCount, 3)

        // Without the class filter the tissue region is the third nucleus.
        XCTAssertEqual(try GeoJSONImport.outlines(in: json(features), path: "cells.geojson").outlines.count, 3)
    }

    func testWholeSlideCoordinatesNeedTheTilesOrigin() throws {
        let features: [[String: Any]] = [
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(1002, 2003, 1005, 2006)]]],
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(1010, 2000, 1012, 2002)]]],
        ]
        let parsed = try GeoJSONImport.outlines(in: json(features), path: "slide.geojson")
        let placed = GeoJSONImport.rasterize(parsed.outlines, width: 16, height: 16, origin: Point(x: 1000, y: 2000))
        XCTAssertEqual(placed.skipped, [])
        XCTAssertEqual(placed.labels[2, 3], 1)
        XCTAssertEqual(placed.labels[4, 5], 1)
        XCTAssertEqual(placed.labels.storage.filter { $0 == 2 }.count, 4)

        let lost = GeoJSONImport.rasterize(parsed.outlines, width: 16, height: 16)
        XCTAssertEqual(lost.skipped.count, 2)
        XCTAssertTrue(lost.skipped[0].reason.contains("whole-slide coordinates"), lost.skipped[0].reason)
    }

    func testDocumentsThatAreNotOutlinesAreNamedErrors() throws {
        for (text, expected) in [("{oops", "not JSON"), ("{\"type\": \"Polygon\"}", "expected a FeatureCollection"),
                                 ("{\"type\": \"FeatureCollection\"}", "without a features array"), ("42", "expected")] {
            XCTAssertThrowsError(try GeoJSONImport.outlines(in: Data(text.utf8), path: "bad.geojson")) { error in
                guard case let .invalidOutlines(path, _, detail) = error as? DatasetError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "bad.geojson")
                XCTAssertTrue(detail.contains(expected), detail)
            }
        }
        // Bad features are skipped with a reason, not fatal.
        let features: [Any] = [
            "text",
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]]],
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [[["a", 0], [1, 1], [2, 0]]]]],
            ["type": "Feature"],
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(50, 50, 60, 60)]]],
        ]
        let parsed = try GeoJSONImport.outlines(in: json(features), path: "mixed.geojson")
        XCTAssertEqual(parsed.skipped.map(\.index), [0, 1, 2, 3])
        let result = GeoJSONImport.rasterize(parsed.outlines, skipped: parsed.skipped, width: 10, height: 10)
        XCTAssertTrue(result.skipped.last?.reason.hasPrefix("covers no pixel of the image") == true)
        XCTAssertEqual(result.regionCount, 5)
        XCTAssertEqual(result.skipped.count, 5)
        XCTAssertEqual(result.labels.maxLabel, 0)
    }

    func testFoldersImportWithEitherExtensionAndReportImagesWithoutOutlines() throws {
        let root = TestPaths.temporaryDirectory("geojson-import")
        defer { try? FileManager.default.removeItem(at: root) }
        let images = root.appendingPathComponent("images"), outlines = root.appendingPathComponent("outlines")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outlines, withIntermediateDirectories: true)
        for name in ["a", "b", "c"] { try ImageFiles.writeRGB(RGBImage(width: 8, height: 8), to: images.appendingPathComponent(name + ".png")) }
        let collection: [String: Any] = ["type": "FeatureCollection", "features": [
            ["type": "Feature", "geometry": ["type": "Polygon", "coordinates": [square(1, 1, 4, 4)]]]]]
        try json(collection).write(to: outlines.appendingPathComponent("a.geojson"))
        try json(collection).write(to: outlines.appendingPathComponent("b.json"))

        let output = root.appendingPathComponent("dataset")
        let result = try GeoJSONImport.importFolder(images: images, annotations: outlines, output: output)
        XCTAssertEqual(result.imported.map(\.name), ["a", "b"])
        XCTAssertEqual(result.imported.map(\.nuclei), [1, 1])
        XCTAssertEqual(result.missing, ["c"])
        let dataset = try FolderDataset(root: output)
        XCTAssertEqual(try dataset.load(dataset.samples[0]).labels.storage.filter { $0 == 1 }.count, 9)
    }
}
