import Foundation
import Imaging
import TestSupport
import XCTest

final class ImageCodecTests: XCTestCase {
    private func gradient(width: Int, height: Int, channels: Int) throws -> Raster {
        var samples = [UInt8](repeating: 0, count: width * height * channels)
        for index in samples.indices { samples[index] = UInt8(truncatingIfNeeded: index * 7 + index / 13) }
        return try Raster(width: width, height: height, channels: channels, samples: .uint8(samples))
    }

    func testPNGRoundTripsEveryChannelLayout() throws {
        for channels in 1...4 {
            let raster = try gradient(width: 17, height: 9, channels: channels)
            let decoded = try ImageCodec.decode(ImageCodec.encodePNG(raster))
            XCTAssertEqual(decoded, raster, "channels \(channels)")
        }
    }

    func testSixteenBitLabelMapRoundTripsExactly() throws {
        var labels = LabelMap(width: 31, height: 7, repeating: 0)
        for index in labels.storage.indices { labels.storage[index] = UInt32((index * 2654) % 65536) }
        let data = try ImageCodec.encodePNG(labels.raster16())
        let decoded = try LabelMap(labels: ImageCodec.decode(data))
        XCTAssertEqual(decoded, labels)
    }

    func testLabelAbove65535IsRefusedForPNG() throws {
        var labels = LabelMap(width: 2, height: 2, repeating: 0)
        labels[1, 1] = 70000
        XCTAssertThrowsError(try labels.raster16()) { error in
            XCTAssertTrue("\(error)".contains("70000"))
        }
    }

    func testTIFFRoundTripsWithEachCompression() throws {
        for compression in [TIFFCompression.none, .lzw, .packBits] {
            let rgb = try gradient(width: 23, height: 11, channels: 3)
            XCTAssertEqual(try ImageCodec.decode(ImageCodec.encodeTIFF(rgb, compression: compression)), rgb)
            let gray16 = try Raster(width: 5, height: 3, channels: 1, samples: .uint16((0..<15).map { UInt16($0 * 4000) }))
            XCTAssertEqual(try ImageCodec.decode(ImageCodec.encodeTIFF(gray16, compression: compression)), gray16)
        }
    }

    func testTruncatedAndForeignDataAreErrorsNotCrashes() throws {
        let png = try ImageCodec.encodePNG(gradient(width: 64, height: 64, channels: 3))
        let tiff = try ImageCodec.encodeTIFF(gradient(width: 64, height: 64, channels: 3), compression: .lzw)
        for cut in [9, 20, 40, png.count / 2, png.count - 5] {
            XCTAssertThrowsError(try ImageCodec.decode(png.prefix(cut)), "PNG cut at \(cut)")
        }
        for cut in [9, 100, tiff.count / 2] {
            XCTAssertThrowsError(try ImageCodec.decode(tiff.prefix(cut)), "TIFF cut at \(cut)")
        }
        XCTAssertThrowsError(try ImageCodec.decode(Data("hello, world".utf8))) { error in
            guard case .unrecognizedFormat = error as? ImagingError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ImageCodec.decode(Data()))
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            var mutated = png
            for _ in 0..<4 { mutated[Int.random(in: 8..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? ImageCodec.decode(mutated)  // must not crash; may or may not decode
        }
    }

    private func jpegFixture(_ name: String) throws -> Data {
        try Data(contentsOf: TestPaths.repository.appendingPathComponent("Tests/Fixtures/imaging/\(name)"))
    }

    /// The fixtures are flat colour blocks aligned to JPEG's 16-px blocks, so that they decode
    /// to within a few levels of the colours they were written with (by PIL, quality 95).
    func testJPEGDecodesBaselineProgressiveAndGrey() throws {
        for name in ["two-blocks.jpg", "two-blocks-progressive.jpg"] {
            let image = try RGBImage(ImageCodec.decode(jpegFixture(name)))
            XCTAssertEqual(image.width, 32, name)
            XCTAssertEqual(image.height, 16, name)
            for (x, colour) in [(3, [200, 60, 120]), (28, [40, 180, 90])] {
                let pixel = (0..<3).map { Int(image.pixels[3 * (9 * 32 + x) + $0]) }
                XCTAssertTrue(zip(pixel, colour).allSatisfy { abs($0 - $1) <= 3 }, "\(name) at x \(x): \(pixel)")
            }
        }
        let grey = try ImageCodec.decode(jpegFixture("grey.jpg"))
        XCTAssertEqual(grey.channels, 1)
        guard case let .uint8(levels) = grey.samples else { return XCTFail("grey JPEG is not 8-bit") }
        XCTAssertLessThanOrEqual(abs(Int(levels[2]) - 30), 3)
        XCTAssertLessThanOrEqual(abs(Int(levels[16 * 12 + 5]) - 128), 3)
        XCTAssertEqual(ImageFileFormat(pathExtension: "JPG"), .jpeg)
    }

    func testJPEGIsReadOnlyNeverALabelMapAndTruncationIsAnError() throws {
        let jpeg = try jpegFixture("two-blocks.jpg")
        for cut in [2, 20, jpeg.count / 2, jpeg.count - 4] {
            XCTAssertThrowsError(try ImageCodec.decode(jpeg.prefix(cut)), "JPEG cut at \(cut)")
        }
        let folder = TestPaths.temporaryDirectory("jpeg")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("grey.jpg")
        try jpegFixture("grey.jpg").write(to: file)
        XCTAssertEqual(try ImageFiles.listImages(in: folder), [file])
        XCTAssertThrowsError(try ImageFiles.readLabelMap(file)) { error in
            XCTAssertTrue("\(error)".contains("cannot be a JPEG"), "\(error)")
        }
        XCTAssertThrowsError(try ImageFiles.writeRGB(RGBImage(width: 2, height: 2), to: folder.appendingPathComponent("out.jpg"))) { error in
            XCTAssertTrue("\(error)".contains("JPEG is read, not written"), "\(error)")
        }
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<200 {
            var mutated = jpeg
            for _ in 0..<4 { mutated[Int.random(in: 3..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? ImageCodec.decode(mutated)  // must not crash; may or may not decode
        }
    }

    func testWritingMakesTheFolder() throws {
        let root = TestPaths.temporaryDirectory("codec-write")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("not/yet/there.png")
        try ImageFiles.writeRGB(RGBImage(width: 3, height: 2), to: url)
        XCTAssertEqual(try ImageFiles.readRGB(url), RGBImage(width: 3, height: 2))
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try ImageFiles.readRGB(URL(fileURLWithPath: "/nonexistent/x.png"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.png"), "\(error)")
        }
    }

    func testRGBConversionDropsAlphaAndExpandsGray() throws {
        let gray = try Raster(width: 2, height: 1, channels: 1, samples: .uint8([10, 200]))
        XCTAssertEqual(try RGBImage(gray).pixels, [10, 10, 10, 200, 200, 200])
        let rgba = try Raster(width: 1, height: 1, channels: 4, samples: .uint8([1, 2, 3, 4]))
        XCTAssertEqual(try RGBImage(rgba).pixels, [1, 2, 3])
    }

    func testReadsMoNuSegTIFFWhenSharedDataIsPresent() throws {
        guard let monuseg = TestPaths.monuseg else {
            throw XCTSkip("../shared/data/monuseg is absent; MoNuSeg TIFF decoding not checked")
        }
        let images = try ImageFiles.listImages(in: monuseg.appendingPathComponent("test/images"))
        let image = try ImageFiles.readRGB(try XCTUnwrap(images.first))
        XCTAssertEqual(image.width, 1000)
        XCTAssertEqual(image.height, 1000)
        let name = images[0].deletingPathExtension().lastPathComponent
        let labels = try ImageFiles.readLabelMap(monuseg.appendingPathComponent("test/instance_masks/\(name).png"))
        XCTAssertEqual(labels.width, 1000)
        XCTAssertGreaterThan(labels.instanceIDs.count, 100)
    }
}
