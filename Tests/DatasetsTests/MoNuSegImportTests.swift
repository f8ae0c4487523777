import Datasets
import Foundation
import Imaging
import TestSupport
import XCTest

final class MoNuSegImportTests: XCTestCase {
    private func xml(_ regions: [[(Double, Double)]]) -> Data {
        var text = "<Annotations><Annotation Id=\"1\"><Regions>"
        for (index, region) in regions.enumerated() {
            text += "<Region Id=\"\(index + 1)\"><Vertices>"
            for (x, y) in region { text += "<Vertex X=\"\(x)\" Y=\"\(y)\"/>" }
            text += "</Vertices></Region>"
        }
        return Data((text + "</Regions></Annotation></Annotations>").utf8)
    }

    func testRegionsAreRasterisedOneBasedInFileOrderAndDegenerateOnesSkipped() throws {
        let regions = try AperioXML.regions(xml([
            [(2, 2), (6, 2), (6, 5), (2, 5)],           // pixels x 1...5, y 1...4 after the −1 shift
            [(5, 4), (8, 4), (8, 7), (5, 7)],           // overlaps the first; painted later, so it wins
            [(9.2, 9.0), (9.4, 9.0)],                   // 2 vertices
            [(3.5, 8.5), (3.7, 8.6), (3.6, 8.8)],       // covers no pixel centre
        ]))
        XCTAssertEqual(regions.count, 4)
        XCTAssertEqual(regions[0].vertices.first, Point(x: 2, y: 2))
        let result = MoNuSeg.rasterize(regions, width: 10, height: 10, overlap: .laterWins)
        XCTAssertEqual(result.labels[1, 1], 1)
        XCTAssertEqual(result.labels[5, 1], 1)
        XCTAssertEqual(result.labels[0, 0], 0)
        XCTAssertEqual(result.labels[4, 3], 2)
        XCTAssertEqual(MoNuSeg.rasterize(regions, width: 10, height: 10).labels[4, 3], 1, "earlier region keeps overlaps")
        XCTAssertEqual(result.labels[7, 6], 2)
        XCTAssertEqual(result.labels.instanceIDs, [1, 2])
        XCTAssertEqual(result.skipped.map(\.index), [2, 3])
        XCTAssertTrue(result.skipped[0].description.contains("2 distinct vertices"))
    }

    func testBadXMLIsAnErrorNamingTheFile() {
        XCTAssertThrowsError(try AperioXML.regions(Data("<Annotations><Region></Annotations>".utf8), path: "a.xml")) { error in
            XCTAssertTrue("\(error)".contains("a.xml"), "\(error)")
        }
        XCTAssertThrowsError(try AperioXML.regions(Data("<Annotations><Region><Vertex X=\"a\" Y=\"1\"/></Region></Annotations>".utf8)))
        XCTAssertThrowsError(try AperioXML.regions(Data("<Other/>".utf8)))
        XCTAssertThrowsError(try AperioXML.regions(in: URL(fileURLWithPath: "/nonexistent/x.xml")))
    }

    /// The shared label maps, nucleus by nucleus: each ground-truth nucleus is matched to the
    /// imported nucleus it overlaps most; mean IoU over nuclei must be ≥ 0.98. The training
    /// maps come from MoNuSeg's own per-nucleus masks (earlier region keeps overlaps), the
    /// test maps were painted in file order (later wins); the default rule must pass on
    /// both together, and each split must match its own rule closely.
    func testImportReproducesTheSharedMoNuSegLabelMaps() throws {
        guard let monuseg = TestPaths.monuseg else {
            throw XCTSkip("../shared/data/monuseg is absent (set ANNOTATOR_SHARED to run this test)")
        }
        var totalIoU = 0.0, nuclei = 0, files = 0, skippedRegions = 0
        var ownRule = [String: (Double, Int)]()
        for split in ["train", "test"] {
            let folder = monuseg.appendingPathComponent(split)
            let xmls = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("annotations_xml").path)
                .filter { $0.hasSuffix(".xml") }.sorted()
            for xmlName in xmls {
                let name = String(xmlName.dropLast(4))
                let truth = try ImageFiles.readLabelMap(folder.appendingPathComponent("instance_masks/\(name).png"))
                let regions = try AperioXML.regions(in: folder.appendingPathComponent("annotations_xml/\(xmlName)"))
                let imported = MoNuSeg.rasterize(regions, width: truth.width, height: truth.height)
                skippedRegions += imported.skipped.count
                let (sum, count) = Self.matchedIoU(truth: truth, imported: imported.labels)
                XCTAssertGreaterThan(sum / Double(count), 0.88, "\(split)/\(name)")
                let rule: OverlapRule = split == "train" ? .earlierWins : .laterWins
                let own = Self.matchedIoU(truth: truth, imported: MoNuSeg.rasterize(
                    regions, width: truth.width, height: truth.height, overlap: rule).labels)
                ownRule[split, default: (0, 0)].0 += own.0
                ownRule[split, default: (0, 0)].1 += own.1
                XCTAssertEqual(imported.labels.instanceIDs.count, truth.instanceIDs.count, "\(split)/\(name) nucleus count")
                totalIoU += sum
                nuclei += count
                files += 1
            }
        }
        XCTAssertEqual(files, 27, "13 train + 14 test XMLs")
        XCTAssertEqual(skippedRegions, 3, "the three degenerate train regions")
        XCTAssertGreaterThanOrEqual(totalIoU / Double(nuclei), 0.98, "mean IoU over \(nuclei) nuclei")
        print(String(format: "MoNuSeg import: mean IoU %.4f over %d nuclei of %d images (default rule); train/earlier %.4f, test/later %.4f",
                     totalIoU / Double(nuclei), nuclei, files, ownRule["train"]!.0 / Double(ownRule["train"]!.1),
                     ownRule["test"]!.0 / Double(ownRule["test"]!.1)))
        XCTAssertGreaterThanOrEqual(ownRule["train"]!.0 / Double(ownRule["train"]!.1), 0.975, "train, earlier wins")
        XCTAssertGreaterThanOrEqual(ownRule["test"]!.0 / Double(ownRule["test"]!.1), 0.9999, "test, later wins")
    }

    /// Sum over ground-truth nuclei of the IoU with the imported nucleus of largest overlap.
    static func matchedIoU(truth: LabelMap, imported: LabelMap) -> (Double, Int) {
        let truthAreas = truth.areas(), importedAreas = imported.areas()
        var overlaps: [UInt64: Int] = [:]
        for index in truth.storage.indices {
            let t = truth.storage[index], i = imported.storage[index]
            if t != 0 && i != 0 { overlaps[UInt64(t) << 32 | UInt64(i), default: 0] += 1 }
        }
        var best = [Double](repeating: 0, count: truthAreas.count)
        for (key, shared) in overlaps {
            let t = Int(key >> 32), i = Int(key & 0xFFFF_FFFF)
            let iou = Double(shared) / Double(truthAreas[t] + importedAreas[i] - shared)
            best[t] = max(best[t], iou)
        }
        let present = (1..<truthAreas.count).filter { truthAreas[$0] > 0 }
        return (present.map { best[$0] }.reduce(0, +), present.count)
    }
}
