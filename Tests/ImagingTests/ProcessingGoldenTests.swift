import Foundation
@testable import Imaging
import TestSupport
import XCTest

/// Every operation against scikit-image / scipy on small arrays (see Goldens.swift).
final class ProcessingGoldenTests: XCTestCase {
    func testColourDeconvolutionMatchesRgb2hedAndHed2rgb() throws {
        let golden = Goldens.section("hed")
        let rgbRows = golden["rgb"] as! [[[NSNumber]]]
        let height = rgbRows.count, width = rgbRows[0].count
        let image = try RGBImage(width: width, height: height, pixels: rgbRows.flatMap { $0.flatMap { $0.map(\.uint8Value) } })
        let stains = ColorDeconvolution.separate(image)
        let hed = golden["hed"] as! [[[NSNumber]]]
        let back = golden["rgb_back"] as! [[[NSNumber]]]
        let unit = ColorDeconvolution.combineToUnit(stains)
        for y in 0..<height {
            for x in 0..<width {
                XCTAssertEqual(stains.hematoxylin[x, y], hed[y][x][0].floatValue, accuracy: 1e-5)
                XCTAssertEqual(stains.eosin[x, y], hed[y][x][1].floatValue, accuracy: 1e-5)
                XCTAssertEqual(stains.dab[x, y], hed[y][x][2].floatValue, accuracy: 1e-5)
                for c in 0..<3 {
                    XCTAssertEqual(unit[(y * width + x) * 3 + c], back[y][x][c].floatValue, accuracy: 1e-4)
                }
            }
        }
        // Round trip to bytes: rgb2hed floors negative densities at 0, so only pixels whose
        // stains are all positive come back exactly; on H&E-like colours that is all of them.
        let stained = try RGBImage(width: 3, height: 1, pixels: [120, 60, 160, 200, 120, 180, 230, 200, 220])
        XCTAssertEqual(ColorDeconvolution.combine(ColorDeconvolution.separate(stained)).pixels, stained.pixels)
    }

    func testOtsuMatchesThresholdOtsuAndMultiotsu() {
        let golden = Goldens.section("otsu")
        let plane = Goldens.plane(golden["values"])
        XCTAssertEqual(Otsu.threshold(plane), (golden["threshold"] as! NSNumber).floatValue, accuracy: 1e-5)
        let expected = (golden["multi3"] as! [NSNumber]).map(\.floatValue)
        let got = Otsu.thresholds(plane, classes: 3)
        XCTAssertEqual(got.count, 2)
        for (a, b) in zip(got, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testGaussianBlurMatchesScipy() {
        let golden = Goldens.section("gaussian")
        let blurred = GaussianBlur.apply(Goldens.plane(golden["plane"]), sigma: 1.5)
        assertClose(blurred, Goldens.plane(golden["blurred"]), accuracy: 1e-5)
    }

    func testSobelMatchesHoVerNetKernelCorrelation() {
        let golden = Goldens.section("sobel5")
        let kernel = Goldens.rows(golden["kernel_h"]).flatMap { $0.map(Float.init) }
        let (horizontal, _) = Sobel.kernels(size: 5)
        for (a, b) in zip(horizontal, kernel) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let gradients = Sobel.apply(Goldens.plane(golden["plane"]), size: 5, border: .reflect101)
        assertClose(gradients.horizontal, Goldens.plane(golden["h"]), accuracy: 1e-5)
        assertClose(gradients.vertical, Goldens.plane(golden["v"]), accuracy: 1e-5)
    }

    func testMorphologyMatchesSkimage() {
        let golden = Goldens.section("morphology")
        let mask = Goldens.mask(golden["mask"])
        XCTAssertEqual(StructuringElement.disk(radius: 2).mask, Goldens.mask(golden["disk2"]))
        XCTAssertEqual(StructuringElement.ellipse(width: 3, height: 2).mask, Goldens.mask(golden["ellipse_3_2"]))
        let disk2 = StructuringElement.disk(radius: 2)
        XCTAssertEqual(Morphology.erode(mask, disk2), Goldens.mask(golden["erode_disk2"]))
        XCTAssertEqual(Morphology.dilate(mask, disk2), Goldens.mask(golden["dilate_disk2"]))
        XCTAssertEqual(Morphology.open(mask, .disk(radius: 1)), Goldens.mask(golden["open_disk1"]))
        XCTAssertEqual(Morphology.close(mask, .ellipse(width: 3, height: 2)), Goldens.mask(golden["close_ellipse_3_2"]))
    }

    func testHolesComponentsAndSmallObjectsMatchScipyAndSkimage() {
        let golden = Goldens.section("components")
        let mask = Goldens.mask(golden["mask"])
        XCTAssertEqual(HoleFilling.fill(mask), Goldens.mask(golden["filled"]))
        XCTAssertEqual(ConnectedComponents.label(mask, connectivity: .four), Goldens.labels(golden["label4"]))
        XCTAssertEqual(ConnectedComponents.label(mask, connectivity: .eight), Goldens.labels(golden["label8"]))
        XCTAssertEqual(ConnectedComponents.removeSmall(mask, minimumArea: 5, connectivity: .eight),
                       Goldens.mask(golden["small_removed_5_conn2"]))
    }

    func testDistanceTransformMatchesScipyExactly() {
        let golden = Goldens.section("edt")
        let distance = DistanceTransform.euclidean(Goldens.mask(golden["mask"]))
        assertClose(distance, Goldens.plane(golden["distance"]), accuracy: 1e-5)
    }

    func testWatershedMatchesSkimage() throws {
        let golden = Goldens.section("watershed")
        let elevation = Goldens.plane(golden["elevation"])
        let markers = Goldens.labels(golden["markers"])
        let masked = try Watershed.flood(elevation, markers: markers, mask: Goldens.mask(golden["mask"]))
        XCTAssertEqual(masked, Goldens.labels(golden["labels"]))
        XCTAssertEqual(try Watershed.flood(elevation, markers: markers), Goldens.labels(golden["labels_nomask"]))
    }

    func testPolygonRasterisationMatchesSkimageDrawPolygon() {
        for (number, polygon) in (Goldens.root["polygons"] as! [[String: Any]]).enumerated() {
            let xs = (polygon["x"] as! [NSNumber]).map(\.doubleValue)
            let ys = (polygon["y"] as! [NSNumber]).map(\.doubleValue)
            let expected = Goldens.mask(polygon["mask"])
            let got = PolygonRasterizer.mask(zip(xs, ys).map { Point(x: $0, y: $1) },
                                             width: expected.width, height: expected.height)
            XCTAssertEqual(got, expected, "polygon \(number)\n\(describe(got))\nexpected\n\(describe(expected))")
        }
    }
}
