import Datasets
import Metrics
import Foundation
import Imaging
import TestSupport
import XCTest

final class DatasetTests: XCTestCase {
    private func labeledImage(width: Int, height: Int) throws -> LabeledImage {
        var labels = LabelMap(width: width, height: height, repeating: 0)
        for y in 2..<6 { for x in 2..<7 { labels[x, y] = 3 } }
        for y in 8..<12 { for x in 9..<13 where x + y < 22 { labels[x, y] = 7 } }
        labels[0, height - 1] = 9
        var image = RGBImage(width: width, height: height, fill: (230, 200, 220))
        for index in 0..<(width * height) where labels.storage[index] != 0 {
            image.pixels[3 * index] = 90
            image.pixels[3 * index + 1] = 40
            image.pixels[3 * index + 2] = 150
        }
        return try LabeledImage(image: image, labels: labels)
    }

    func testFolderDatasetLoadsAndReportsBadLayouts() throws {
        let root = TestPaths.temporaryDirectory("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        let pair = try labeledImage(width: 16, height: 14)
        try FolderDataset.write(pair, name: "a", to: root)
        try FolderDataset.write(pair, name: "b", to: root)
        let dataset = try FolderDataset(root: root)
        XCTAssertEqual(dataset.samples.map(\.name), ["a", "b"])
        XCTAssertEqual(try dataset.load(dataset.samples[0]), pair)

        // A mask of the wrong size.
        try ImageFiles.writeLabelMap(LabelMap(width: 5, height: 5, repeating: 0),
                                     to: root.appendingPathComponent("instance_masks/b.png"))
        XCTAssertThrowsError(try dataset.load(dataset.samples[1])) { error in
            XCTAssertEqual(error as? DatasetError, .sizeMismatch(name: "b", image: "16×14", mask: "5×5"))
        }
        // An image without a mask.
        try ImageFiles.writeRGB(pair.image, to: root.appendingPathComponent("images/c.png"))
        XCTAssertThrowsError(try FolderDataset(root: root)) { error in
            guard case let .missingMask(image, _) = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(image, "c.png")
        }
        XCTAssertNil(try FolderDataset(root: root, requireMasks: false).samples.last?.mask)
        // A truncated image.
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]).write(to: root.appendingPathComponent("images/a.png"))
        XCTAssertThrowsError(try dataset.load(dataset.samples[0]))
        XCTAssertThrowsError(try FolderDataset(root: root.appendingPathComponent("nope")))
        // A folder of images where a dataset folder belongs.
        XCTAssertThrowsError(try FolderDataset(root: root.appendingPathComponent("images"))) { error in
            XCTAssertTrue("\(error)".contains("but no images/ folder"), "\(error)")
        }
    }

    func testInstanceTypesTakeEachNucleusMajorityTypeAndBadTypeMapsAreNamed() throws {
        let root = TestPaths.temporaryDirectory("type-maps")
        defer { try? FileManager.default.removeItem(at: root) }
        let pair = try labeledImage(width: 16, height: 14)
        try FolderDataset.write(pair, name: "a", to: root)
        let dataset = try FolderDataset(root: root)
        XCTAssertFalse(dataset.hasTypeMaps)
        // Nucleus 3 is mostly type 2 with a corner of type 1; nucleus 7 is type 1 on some
        // pixels and background on the rest; nucleus 9 has no typed pixel.
        var types = LabelMap(width: 16, height: 14, repeating: 0)
        for y in 2..<6 { for x in 2..<7 { types[x, y] = x == 2 ? 1 : 2 } }
        types[9, 8] = 1
        try FileManager.default.createDirectory(at: dataset.typeFolder, withIntermediateDirectories: true)
        try ImageFiles.writeLabelMap(types, to: dataset.typeFolder.appendingPathComponent("a.png"))
        XCTAssertTrue(dataset.hasTypeMaps)
        XCTAssertEqual(try dataset.instanceTypes(dataset.samples[0], labels: pair.labels), [3: 2, 7: 1, 9: 0])
        // A type map of the wrong size, then none at all.
        try ImageFiles.writeLabelMap(LabelMap(width: 4, height: 4, repeating: 0), to: dataset.typeFolder.appendingPathComponent("a.png"))
        XCTAssertThrowsError(try dataset.instanceTypes(dataset.samples[0], labels: pair.labels)) { error in
            guard case let .sizeMismatch(name, _, _) = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "a (type map)")
        }
        try FileManager.default.removeItem(at: dataset.typeFolder.appendingPathComponent("a.png"))
        XCTAssertThrowsError(try dataset.instanceTypes(dataset.samples[0], labels: pair.labels))
    }

    func testSampleWeightsRoundTripAndBadFilesAreNamed() throws {
        let folder = TestPaths.temporaryDirectory("sample-weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertNil(try SampleWeights.read(in: folder))
        try SampleWeights.write(["a": 0.25, "b": 2], to: folder, details: ["definition": "test"])
        XCTAssertEqual(try SampleWeights.read(in: folder), ["a": 0.25, "b": 2])
        let file = folder.appendingPathComponent(SampleWeights.fileName)
        for bad in [#"{"weights": {"a": -1}}"#, #"{"weights": [1, 2]}"#, "not json"] {
            try Data(bad.utf8).write(to: file)
            XCTAssertThrowsError(try SampleWeights.read(in: folder), bad) { error in
                XCTAssertTrue("\(error)".contains(file.path), "\(error)")
            }
        }
    }

    func testGridAndRandomCrops() throws {
        let tiles = try Crops.grid(width: 10, height: 7, size: 4, stride: 3)
        XCTAssertEqual(Set(tiles.map(\.x)), [0, 3, 6])
        XCTAssertEqual(Set(tiles.map(\.y)), [0, 3])
        XCTAssertEqual(tiles.count, 6)
        XCTAssertEqual(try Crops.grid(width: 8, height: 8, size: 4).count, 4)
        XCTAssertThrowsError(try Crops.grid(width: 3, height: 8, size: 4))
        var generator = SeededGenerator(seed: 5)
        let random = try Crops.random(width: 20, height: 10, size: 6, count: 50, using: &generator)
        XCTAssertTrue(random.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x + 6 <= 20 && $0.y + 6 <= 10 })
        let pair = try labeledImage(width: 16, height: 14)
        let crop = try Crops.crop(pair, CropRect(x: 1, y: 1, width: 8, height: 8))
        XCTAssertEqual(crop.labels.instanceIDs, [1])
        XCTAssertEqual(crop.labels[1, 1], 1)
        XCTAssertEqual(Array(crop.image.pixels[(3 * (1 * 8 + 1))..<(3 * (1 * 8 + 1) + 3)]), [90, 40, 150])
        XCTAssertThrowsError(try Crops.crop(pair, CropRect(x: 10, y: 0, width: 8, height: 8)))
    }

    func testGeoJSONHasTheFeatureCollectionStructureAndRedrawsTheMasks() throws {
        let labels = try labeledImage(width: 16, height: 14).labels
        let object = try JSONSerialization.jsonObject(with: GeoJSONExport.data(labels)) as! [String: Any]
        XCTAssertEqual(object["type"] as? String, "FeatureCollection")
        let features = object["features"] as! [[String: Any]]
        XCTAssertEqual(features.count, 3)
        for feature in features {
            XCTAssertEqual(feature["type"] as? String, "Feature")
            let properties = feature["properties"] as! [String: Any]
            XCTAssertEqual(properties["objectType"] as? String, "annotation")
            XCTAssertEqual((properties["classification"] as? [String: Any])?["name"] as? String, "Nucleus")
            let geometry = feature["geometry"] as! [String: Any]
            XCTAssertEqual(geometry["type"] as? String, "Polygon")
            let rings = geometry["coordinates"] as! [[[Double]]]
            XCTAssertEqual(rings.count, 1)
            let ring = rings[0]
            // RFC 7946: a linear ring is closed and has at least four positions.
            XCTAssertGreaterThanOrEqual(ring.count, 4)
            XCTAssertEqual(ring.first, ring.last)
            XCTAssertTrue(ring.allSatisfy { $0.count == 2 })
            let label = UInt32(properties["label"] as! Int)
            let polygon = ring.dropLast().map { Point(x: $0[0] - 0.5, y: $0[1] - 0.5) }
            XCTAssertEqual(PolygonRasterizer.mask(polygon, width: 16, height: 14), labels.map { $0 == label }, "label \(label)")
        }
    }

    func testCOCORLEDecodesBackToTheSameMasks() throws {
        let first = try labeledImage(width: 16, height: 14).labels
        var second = LabelMap(width: 5, height: 4, repeating: 0)
        for y in 0..<4 { second[2, y] = 1 }          // full-height column: runs continue across columns
        for y in 0..<4 { second[3, y] = 1 }
        second[0, 3] = 2
        second[4, 0] = 4
        let document = try JSONSerialization.jsonObject(
            with: COCOExport.data([("a.png", first), ("b.png", second)])) as! [String: Any]
        let images = document["images"] as! [[String: Any]]
        XCTAssertEqual(images.map { $0["file_name"] as! String }, ["a.png", "b.png"])
        XCTAssertEqual((document["categories"] as! [[String: Any]]).first?["name"] as? String, "nucleus")
        let annotations = document["annotations"] as! [[String: Any]]
        XCTAssertEqual(annotations.count, 6)
        var rebuilt = [1: LabelMap(width: 16, height: 14, repeating: 0), 2: LabelMap(width: 5, height: 4, repeating: 0)]
        for annotation in annotations {
            let imageID = annotation["image_id"] as! Int
            let segmentation = annotation["segmentation"] as! [String: Any]
            let size = segmentation["size"] as! [Int]
            let mask = try COCORLE.decode(segmentation["counts"] as! [Int], width: size[1], height: size[0])
            XCTAssertEqual(mask.storage.filter { $0 }.count, annotation["area"] as! Int)
            let id = UInt32(annotation["id"] as! Int)
            for index in mask.storage.indices where mask.storage[index] {
                XCTAssertEqual(rebuilt[imageID]!.storage[index], 0, "annotations overlap")
                rebuilt[imageID]!.storage[index] = id
            }
            XCTAssertEqual(annotation["iscrowd"] as? Int, 0)
        }
        // Same partition as the input (ids differ: COCO numbers annotations globally).
        XCTAssertEqual(rebuilt[1]!.relabeledSequentially(), first.relabeledSequentially())
        XCTAssertEqual(rebuilt[2]!.relabeledSequentially(), second.relabeledSequentially())
        // pycocotools' convention on a hand-made case: column-major, background first.
        XCTAssertEqual(COCORLE.encode(try Mask(width: 2, height: 2, storage: [true, false, true, true])), [0, 2, 1, 1])
        XCTAssertThrowsError(try COCORLE.decode([1, 2], width: 2, height: 2))
    }

    func testOverlayDrawsOutlinesOnly() throws {
        let pair = try labeledImage(width: 16, height: 14)
        let overlay = try Overlay.outlines(pair.image, pair.labels, color: (255, 255, 0))
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(overlay.pixels[(3 * (y * 16 + x))..<(3 * (y * 16 + x) + 3)]) }
        XCTAssertEqual(pixel(2, 2), [255, 255, 0])
        XCTAssertEqual(pixel(4, 3), [90, 40, 150])
        XCTAssertEqual(pixel(14, 1), [230, 200, 220])
        XCTAssertThrowsError(try Overlay.outlines(pair.image, LabelMap(width: 2, height: 2, repeating: 0)))
    }

    func testClassicalSegmenterFindsTwoTouchingSyntheticNuclei() throws {
        // Two overlapping dark-purple disks on pink: the watershed must split them.
        var image = RGBImage(width: 60, height: 40, fill: (235, 190, 215))
        for y in 0..<40 {
            for x in 0..<60 {
                let first = (x - 20) * (x - 20) + (y - 20) * (y - 20) <= 81
                let second = (x - 36) * (x - 36) + (y - 20) * (y - 20) <= 81
                if first || second {
                    let index = 3 * (y * 60 + x)
                    image.pixels[index] = 70; image.pixels[index + 1] = 40; image.pixels[index + 2] = 130
                }
            }
        }
        let labels = ClassicalSegmenter().segment(image)
        XCTAssertEqual(labels.instanceIDs.count, 2)
        XCTAssertNotEqual(labels[20, 20], labels[36, 20])
        XCTAssertNotEqual(labels[20, 20], 0)
        XCTAssertEqual(labels[2, 2], 0)
    }
}

final class SampleDatasetTests: XCTestCase {
    /// The bundled sample is a valid dataset: six 256×256 crops with 16-bit label maps.
    func testBundledMoNuSegMiniLoads() throws {
        let dataset = try FolderDataset(root: TestPaths.repository.appendingPathComponent("Samples/monuseg-mini"))
        XCTAssertEqual(dataset.samples.count, 6)
        for sample in dataset.samples {
            let pair = try dataset.load(sample)
            XCTAssertEqual([pair.image.width, pair.image.height], [256, 256])
            XCTAssertGreaterThan(pair.labels.instanceIDs.count, 10, sample.name)
            XCTAssertEqual(pair.labels.instanceIDs, Array(1...pair.labels.maxLabel), "ids are 1...N")
        }
    }

    /// The classical segmenter on the six sample crops (release build: Dice 0.705, AJI 0.473,
    /// PQ 0.379): a floor a little below, so regressions show.
    func testClassicalSegmenterOnTheSampleIsReasonable() throws {
        let dataset = try FolderDataset(root: TestPaths.repository.appendingPathComponent("Samples/monuseg-mini"))
        var dice = 0.0, aji = 0.0
        for sample in dataset.samples {
            let pair = try dataset.load(sample)
            let predicted = ClassicalSegmenter().segment(pair.image)
            let scores = try SegmentationMetrics.evaluate(groundTruth: pair.labels, prediction: predicted)
            dice += scores.dice1 / Double(dataset.samples.count)
            aji += scores.aji / Double(dataset.samples.count)
        }
        XCTAssertGreaterThan(dice, 0.68)
        XCTAssertGreaterThan(aji, 0.44)
    }
}
