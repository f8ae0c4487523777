import Datasets
import Foundation
import Imaging
import TestSupport
import XCTest

final class RescalingTests: XCTestCase {
    func testScalesOutsideTheRangeAndNonsenseResolutionsAreRefused() throws {
        for scale in [0, -1, 0.1, 8.5, .nan, .infinity] {
            XCTAssertThrowsError(try Rescaling(scale: scale), "scale \(scale)") { error in
                guard case .invalidArgument = error as? DatasetError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try Rescaling(micronsPerPixel: 0))
        XCTAssertThrowsError(try Rescaling(micronsPerPixel: 0.5, target: -1))
        XCTAssertEqual(try Rescaling(micronsPerPixel: 0.5).scale, 2)
        XCTAssertEqual(try Rescaling(micronsPerPixel: 0.25, target: 0.5).scale, 0.5)
    }

    func testSizesRoundAndNeverVanish() throws {
        let half = try Rescaling(scale: 0.5)
        XCTAssertTrue(half.size(width: 7, height: 1) == (4, 1))
        XCTAssertTrue(try Rescaling(scale: 0.125).size(width: 3, height: 2) == (1, 1))
        XCTAssertTrue(try Rescaling(scale: 1.5).size(width: 10, height: 3) == (15, 5))
    }

    func testEnlargingALabelMapKeepsEveryLabelAndScalesAreas() throws {
        var labels = LabelMap(width: 6, height: 5, repeating: 0)
        for y in 1..<3 { for x in 1..<4 { labels[x, y] = 4 } }
        labels[5, 4] = 9
        let (twice, lost) = try Rescaling(scale: 2).labels(labels)
        XCTAssertEqual(lost, 0)
        XCTAssertEqual(twice.width, 12)
        XCTAssertEqual(twice.height, 10)
        XCTAssertEqual(twice.instanceIDs, [4, 9])
        XCTAssertEqual(twice.storage.filter { $0 == 4 }.count, 4 * 6)
        XCTAssertEqual(twice.storage.filter { $0 == 9 }.count, 4)
        // Halving undoes doubling exactly (pixel-centre sampling).
        XCTAssertEqual(try Rescaling(scale: 0.5).labels(twice).labels, labels)
    }

    func testShrinkingCountsTheNucleiItLoses() throws {
        var labels = LabelMap(width: 8, height: 8, repeating: 0)
        for y in 0..<4 { for x in 0..<4 { labels[x, y] = 1 } }
        labels[6, 6] = 2  // one pixel: no output pixel centre samples it at half size
        let (half, lost) = try Rescaling(scale: 0.5).labels(labels)
        XCTAssertEqual(half.instanceIDs, [1])
        XCTAssertEqual(lost, 1)
    }

    func testImagesAreSmoothedBeforeShrinkingAndKeepFlatColour() throws {
        var board = RGBImage(width: 16, height: 16)
        for y in 0..<16 { for x in 0..<16 where (x + y) % 2 == 0 {
            for c in 0..<3 { board.pixels[3 * (y * 16 + x) + c] = 0 }
        } }
        let shrunk = try Rescaling(scale: 0.25).image(board)
        XCTAssertEqual(shrunk.width, 4)
        // A one-pixel checkerboard averages to grey instead of aliasing to black or white.
        XCTAssertTrue(shrunk.pixels.allSatisfy { (96...160).contains($0) }, "\(shrunk.pixels)")

        let flat = RGBImage(width: 5, height: 3, fill: (200, 120, 180))
        for scale in [0.5, 2.0] {
            let resized = try Rescaling(scale: scale).image(flat)
            XCTAssertEqual(resized, RGBImage(width: resized.width, height: resized.height, fill: (200, 120, 180)))
        }
    }

    func testDatasetFoldersRescaleWithAndWithoutMasks() throws {
        let root = TestPaths.temporaryDirectory("rescale")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in"), output = root.appendingPathComponent("out")
        var labels = LabelMap(width: 10, height: 6, repeating: 0)
        for y in 1..<4 { for x in 2..<6 { labels[x, y] = 3 } }
        try FolderDataset.write(LabeledImage(image: RGBImage(width: 10, height: 6), labels: labels), name: "a", to: input)
        try ImageFiles.writeRGB(RGBImage(width: 4, height: 4), to: input.appendingPathComponent("images/b.png"))

        let rescaling = try Rescaling(scale: 2)
        let done = try rescaling.rescale(FolderDataset(root: input, requireMasks: false), to: output)
        XCTAssertEqual(done.map { "\($0.name) \($0.width)×\($0.height) \($0.nuclei.map(String.init) ?? "-") \($0.lost)" },
                       ["a 20×12 1 0", "b 8×8 - 0"])
        let rescaled = try FolderDataset(root: output, requireMasks: false)
        XCTAssertEqual(rescaled.samples.map(\.name), ["a", "b"])
        XCTAssertNil(rescaled.samples[1].mask)
        XCTAssertEqual(try rescaled.load(rescaled.samples[0]).labels, rescaling.labels(labels).labels)

        // Label maps alone, back to the original size.
        let back = root.appendingPathComponent("back")
        let maps = try Rescaling(scale: 0.5).rescaleLabelMaps(in: output.appendingPathComponent("instance_masks"), to: back)
        XCTAssertEqual(maps.map(\.name), ["a"])
        XCTAssertEqual(try ImageFiles.readLabelMap(back.appendingPathComponent("a.png")), labels)

        // Never into the folder being read.
        XCTAssertThrowsError(try rescaling.rescale(FolderDataset(root: input, requireMasks: false), to: input)) { error in
            guard case .invalidArgument = error as? DatasetError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try rescaling.rescaleLabelMaps(in: back, to: back))
    }
}
