import Datasets
import Foundation
import Imaging
import TestSupport
import XCTest

final class COCOImportTests: XCTestCase {
    private func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    /// Strings worked out by hand from pycocotools' rleToString: counts [0, 5]; [1, 2, 3, 4]
    /// (the fourth as 4 − 2); [5, 5, 1, 1] (the fourth as 1 − 5 = −4, one group with the sign bit).
    func testCompressedCountsDecodeAsPycocotoolsWritesThem() {
        XCTAssertEqual(COCORLE.counts(compressed: "05"), [0, 5])
        XCTAssertEqual(COCORLE.counts(compressed: "1232"), [1, 2, 3, 4])
        XCTAssertEqual(COCORLE.counts(compressed: "551L"), [5, 5, 1, 1])
        // 100 = 0b11_00100: low group 4 with "more" (0x24 + 48 = 'T'), then 3 ('3').
        XCTAssertEqual(COCORLE.counts(compressed: "T3"), [100])
        XCTAssertEqual(COCORLE.counts(compressed: "c154"), [51, 5, 4])
    }

    func testTheProjectsOwnExportComesBackAndPolygonsFillTheirPixels() throws {
        var labels = LabelMap(width: 12, height: 9, repeating: 0)
        for y in 1..<4 { for x in 1..<5 { labels[x, y] = 1 } }
        for y in 5..<8 { for x in 6..<11 where !(x == 8 && y == 6) { labels[x, y] = 2 } }
        let exported = try JSONSerialization.data(withJSONObject: COCOExport.document([("a.png", labels)]))
        let maps = try COCOImport.labelMaps(in: exported, path: "export.json")
        XCTAssertEqual(maps["a"]?.labels, labels)
        XCTAssertEqual(maps["a"]?.regionCount, 2)

        let document: [String: Any] = [
            "images": [["id": 7, "file_name": "dir/b.jpg", "width": 10, "height": 6]],
            "categories": [["id": 1, "name": "nucleus"], ["id": 2, "name": "tissue"]],
            "annotations": [
                ["id": 1, "image_id": 7, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 4, 1, 4, 3, 1, 3]]],
                ["id": 2, "image_id": 7, "category_id": 2, "iscrowd": 0, "segmentation": [[0, 0, 10, 0, 10, 6, 0, 6]]],
                ["id": 3, "image_id": 7, "category_id": 1, "iscrowd": 1, "segmentation": ["size": [6, 10], "counts": [0, 60]]],
                ["id": 4, "image_id": 7, "category_id": 1, "segmentation": ["size": [6, 10], "counts": "c154"]],
                ["id": 5, "image_id": 7, "category_id": 1, "segmentation": [[1, 2]]],
            ],
        ]
        let nuclei = try XCTUnwrap(try COCOImport.labelMaps(in: json(document), category: "nucleus", path: "b.json")["b"])
        XCTAssertEqual(nuclei.labels.storage.filter { $0 == 1 }.count, 6, "pixels 1…3 × 1…2")
        XCTAssertEqual(nuclei.labels[1, 1], 1)
        XCTAssertEqual(nuclei.labels[4, 1], 0)
        // "c154": 51 background pixels ("c1"), 5 foreground, 4 background, column-major: column 8,
        // rows 3…5 and column 9, rows 0…1.
        XCTAssertEqual(nuclei.labels[8, 3], 2)
        XCTAssertEqual(nuclei.labels[9, 1], 2)
        XCTAssertEqual(nuclei.skipped.map(\.id), ["3", "5"])
        XCTAssertEqual(nuclei.regionCount, 4)
        XCTAssertEqual(try COCOImport.labelMaps(in: json(document), path: "b.json")["b"]?.regionCount, 5)
        XCTAssertThrowsError(try COCOImport.labelMaps(in: json(document), category: "cell", path: "b.json")) { error in
            XCTAssertTrue("\(error)".contains("has no category 'cell' (it has: nucleus, tissue)"), "\(error)")
        }
        XCTAssertThrowsError(try COCOImport.labelMaps(in: Data("[]".utf8), path: "x.json")) { error in
            guard case .invalidOutlines(_, "COCO", _) = error as? DatasetError else { return XCTFail("\(error)") }
        }
    }

    func testFoldersImportListedImagesOfTheListedSize() throws {
        let root = TestPaths.temporaryDirectory("coco-import")
        defer { try? FileManager.default.removeItem(at: root) }
        let images = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try ImageFiles.writeRGB(RGBImage(width: 12, height: 9), to: images.appendingPathComponent("a.png"))
        try ImageFiles.writeRGB(RGBImage(width: 4, height: 4), to: images.appendingPathComponent("unlisted.png"))
        var labels = LabelMap(width: 12, height: 9, repeating: 0)
        labels[3, 3] = 1
        let file = root.appendingPathComponent("coco.json")
        try JSONSerialization.data(withJSONObject: COCOExport.document([("a.png", labels)])).write(to: file)

        let result = try COCOImport.importFolder(images: images, coco: file, output: root.appendingPathComponent("out"))
        XCTAssertEqual(result.imported.map(\.name), ["a"])
        XCTAssertEqual(result.missing, ["unlisted"])
        let dataset = try FolderDataset(root: root.appendingPathComponent("out"))
        XCTAssertEqual(try dataset.load(dataset.samples[0]).labels, labels)

        try ImageFiles.writeRGB(RGBImage(width: 5, height: 9), to: images.appendingPathComponent("a.png"))
        XCTAssertThrowsError(try COCOImport.importFolder(images: images, coco: file, output: root.appendingPathComponent("out2"))) { error in
            guard case .sizeMismatch("a", _, _) = error as? DatasetError else { return XCTFail("\(error)") }
        }
    }
}
