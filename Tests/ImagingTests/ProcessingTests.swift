import Foundation
@testable import Imaging
import TestSupport
import XCTest

/// Hand-computed cases and invariants for the operations without a library golden.
final class ProcessingTests: XCTestCase {
    private func ramp(width: Int, height: Int, _ value: (Int, Int) -> Float) -> Plane {
        var plane = Plane(width: width, height: height, repeating: 0)
        for y in 0..<height { for x in 0..<width { plane[x, y] = value(x, y) } }
        return plane
    }

    private func disk(width: Int, height: Int, cx: Double, cy: Double, radius: Double) -> Mask {
        var mask = Mask(width: width, height: height, repeating: false)
        for y in 0..<height {
            for x in 0..<width where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= radius * radius {
                mask[x, y] = true
            }
        }
        return mask
    }

    func testSobelOfARampIsTheKernelSumInsideTheImage() {
        // For f = x, the h response is Σ h(dx, dy)·dx = Σ dx²/(dx²+dy²) away from the border.
        let plane = ramp(width: 40, height: 30) { x, _ in Float(x) }
        for size in [3, 5, 21] {
            let gradients = Sobel.apply(plane, size: size)
            let r = size / 2
            var expected: Float = 0
            for dy in -r...r { for dx in -r...r where dx != 0 || dy != 0 { expected += Float(dx * dx) / Float(dx * dx + dy * dy) } }
            XCTAssertEqual(gradients.horizontal[20, 15], expected, accuracy: 1e-3 * expected, "size \(size)")
            XCTAssertEqual(gradients.vertical[20, 15], 0, accuracy: 1e-3, "size \(size)")
        }
        XCTAssertEqual(Sobel.kernels(size: 3).horizontal, [-0.5, 0, 0.5, -1, 0, 1, -0.5, 0, 0.5])
    }

    func testMaskBoundingBoxIsHalfOpenAndNilWhenEmpty() {
        var mask = Mask(width: 10, height: 8, repeating: false)
        XCTAssertNil(mask.boundingBox)
        mask[3, 2] = true
        mask[6, 5] = true
        let box = mask.boundingBox
        XCTAssertEqual(box?.x0, 3); XCTAssertEqual(box?.y0, 2); XCTAssertEqual(box?.x1, 7); XCTAssertEqual(box?.y1, 6)
    }

    func testInstanceExtentsAreHalfOpenBoxesWithAreasInLabelOrder() throws {
        let labels = try LabelMap(width: 4, height: 3, storage: [0, 7, 7, 0,
                                                                 2, 0, 7, 0,
                                                                 2, 2, 0, 0])
        let extents = labels.instanceExtents()
        XCTAssertEqual(extents.map(\.id), [2, 7])
        XCTAssertEqual(extents[0].extent, InstanceExtent(x0: 0, y0: 1, x1: 2, y1: 3, area: 3))
        XCTAssertEqual(extents[1].extent, InstanceExtent(x0: 1, y0: 0, x1: 3, y1: 2, area: 3))
        XCTAssert(LabelMap(width: 3, height: 3, repeating: 0).instanceExtents().isEmpty)
    }

    func testDistanceTransformEdgeCases() {
        // A single background pixel in the middle of a 5×5 foreground.
        var mask = Mask(width: 5, height: 5, repeating: true)
        mask[2, 2] = false
        let distance = DistanceTransform.euclidean(mask)
        XCTAssertEqual(distance[0, 0], Float(8).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(distance[2, 0], 2)
        XCTAssertEqual(distance[2, 2], 0)
        XCTAssertEqual(distance[3, 3], Float(2).squareRoot(), accuracy: 1e-6)
        XCTAssertTrue(DistanceTransform.euclidean(Mask(width: 3, height: 2, repeating: true)).storage.allSatisfy(\.isInfinite))
        XCTAssertEqual(DistanceTransform.euclidean(Mask(width: 3, height: 2, repeating: false)).storage, [0, 0, 0, 0, 0, 0])
    }

    func testWatershedSplitsTwoTouchingDisksAtTheNeck() throws {
        var mask = disk(width: 40, height: 20, cx: 12, cy: 10, radius: 7)
        let other = disk(width: 40, height: 20, cx: 25, cy: 10, radius: 7)
        for index in mask.storage.indices { mask.storage[index] = mask.storage[index] || other.storage[index] }
        let distance = DistanceTransform.euclidean(mask)
        var markers = LabelMap(width: 40, height: 20, repeating: 0)
        markers[12, 10] = 1
        markers[25, 10] = 2
        let labels = try Watershed.flood(distance.map { -$0 }, markers: markers, mask: mask)
        XCTAssertEqual(labels[5, 10], 1)
        XCTAssertEqual(labels[32, 10], 2)
        XCTAssertEqual(labels[0, 0], 0)
        // Every masked pixel is labelled, the split runs through the neck at x ≈ 18.5.
        for index in mask.storage.indices { XCTAssertEqual(mask.storage[index], labels.storage[index] != 0) }
        XCTAssertEqual(labels[18, 10], 1)
        XCTAssertEqual(labels[19, 10], 2)
        XCTAssertThrowsError(try Watershed.flood(Plane(width: 2, height: 2, repeating: 0), markers: markers))
    }

    func testTeleaInpaintingReproducesConstantAndLinearImages() throws {
        let hole = disk(width: 30, height: 24, cx: 14, cy: 11, radius: 6)
        let constant = Plane(width: 30, height: 24, repeating: 0.25)
        var damaged = constant
        for index in hole.storage.indices where hole.storage[index] { damaged.storage[index] = 9 }
        assertClose(try Inpainting.telea(damaged, mask: hole, radius: 4), constant, accuracy: 1e-5)
        // Each known pixel is extrapolated along its gradient, so a plane is filled exactly.
        let linear = ramp(width: 30, height: 24) { x, y in 2 * Float(x) - 0.5 * Float(y) + 3 }
        var damagedLinear = linear
        for index in hole.storage.indices where hole.storage[index] { damagedLinear.storage[index] = 0 }
        assertClose(try Inpainting.telea(damagedLinear, mask: hole, radius: 5), linear, accuracy: 1e-3)
        // RGB: a two-colour image keeps its colours outside and fills the hole between them.
        var image = RGBImage(width: 30, height: 24, fill: (200, 100, 150))
        for index in 0..<(30 * 24) where hole.storage[index] { image.pixels[3 * index] = 0 }
        let filled = try Inpainting.telea(image, mask: hole)
        for index in 0..<(30 * 24) {
            XCTAssertEqual(Array(filled.pixels[(3 * index)..<(3 * index + 3)]), [200, 100, 150])
        }
        XCTAssertThrowsError(try Inpainting.telea(image, mask: Mask(width: 3, height: 3, repeating: false)))
    }

    func testResizeByHand() {
        let plane = try! Plane(width: 2, height: 2, storage: [0, 1, 2, 3])
        // Pixel-centre alignment: 2 → 4 samples the input at −0.25, 0.25, 0.75, 1.25 (clamped).
        let up = Resize.bilinear(plane, width: 4, height: 4)
        XCTAssertEqual(Array(up.storage[0..<4]), [0, 0.25, 0.75, 1])
        XCTAssertEqual(Array(up.storage[4..<8]), [0.5, 0.75, 1.25, 1.5])
        XCTAssertEqual(Array(up.storage[12..<16]), [2, 2.25, 2.75, 3])
        let labels = try! LabelMap(width: 2, height: 2, storage: [1, 2, 3, 4])
        XCTAssertEqual(Resize.nearest(labels, width: 4, height: 4).storage,
                       [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        let down = Resize.nearest(Resize.nearest(labels, width: 4, height: 4), width: 2, height: 2)
        XCTAssertEqual(down, labels)
        let image = RGBImage(width: 5, height: 3, fill: (10, 20, 30))
        XCTAssertEqual(Resize.bilinear(image, width: 7, height: 2), RGBImage(width: 7, height: 2, fill: (10, 20, 30)))
    }

    func testFlipsAndQuarterTurnsByHand() throws {
        let grid = try LabelMap(width: 3, height: 2, storage: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Augmentation.flipHorizontal(grid).storage, [3, 2, 1, 6, 5, 4])
        XCTAssertEqual(Augmentation.flipVertical(grid).storage, [4, 5, 6, 1, 2, 3])
        // numpy.rot90([[1,2,3],[4,5,6]]) = [[3,6],[2,5],[1,4]]
        let quarter = Augmentation.rotate90(grid, times: 1)
        XCTAssertEqual([quarter.width, quarter.height], [2, 3])
        XCTAssertEqual(quarter.storage, [3, 6, 2, 5, 1, 4])
        XCTAssertEqual(Augmentation.rotate90(grid, times: 2).storage, [6, 5, 4, 3, 2, 1])
        XCTAssertEqual(Augmentation.rotate90(grid, times: -1).storage, [4, 1, 5, 2, 6, 3])
        XCTAssertEqual(Augmentation.rotate90(grid, times: 4), grid)
    }

    private func samplePair(size: Int) throws -> LabeledImage {
        var generator = SeededGenerator(seed: 7)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for index in pixels.indices { pixels[index] = UInt8.random(in: 0...255, using: &generator) }
        var labels = LabelMap(width: size, height: size, repeating: 0)
        for y in 0..<size { for x in 0..<size where (x / 4 + y / 4) % 3 == 0 { labels[x, y] = UInt32(1 + x / 4 + 10 * (y / 4)) } }
        return try LabeledImage(image: RGBImage(width: size, height: size, pixels: pixels), labels: labels)
    }

    func testAffineAndElasticKeepImageAndLabelsAligned() throws {
        let pair = try samplePair(size: 16)
        XCTAssertEqual(Augmentation.affine(pair, .identity), pair)
        // A quarter turn about the centre of a square image equals rot90.
        let turned = Augmentation.affine(pair, .about(width: 16, height: 16, rotation: .pi / 2))
        XCTAssertEqual(turned, Augmentation.rotate90(pair, times: 1))
        var generator = SeededGenerator(seed: 3)
        XCTAssertEqual(Augmentation.elastic(pair, alpha: 0, sigma: 4, using: &generator), pair)
        let warped = Augmentation.elastic(pair, alpha: 6, sigma: 3, using: &generator)
        XCTAssertNotEqual(warped.labels, pair.labels)
        // Nearest sampling never invents label ids.
        XCTAssertTrue(Set(warped.labels.instanceIDs).isSubset(of: Set(pair.labels.instanceIDs)))
        let scaled = Augmentation.affine(pair, .about(width: 16, height: 16, scale: 2))
        XCTAssertTrue(Set(scaled.labels.instanceIDs).isSubset(of: Set(pair.labels.instanceIDs)))
        XCTAssertThrowsError(try LabeledImage(image: pair.image, labels: LabelMap(width: 3, height: 16, repeating: 0)))
    }

    func testRGBJitterIdentityBrightnessAndSaturation() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [200, 100, 50, 20, 40, 60])
        XCTAssertEqual(RGBJitter.apply(image, RGBJitter.Factors()), image)
        let brighter = RGBJitter.apply(image, RGBJitter.Factors(brightness: 1.2))
        XCTAssertEqual(brighter.pixels, [240, 120, 60, 24, 48, 72])
        let saturated = RGBJitter.apply(image, RGBJitter.Factors(brightness: 2))
        XCTAssertEqual(saturated.pixels[0], 255, "values clamp at 255")
        let gray = RGBJitter.apply(image, RGBJitter.Factors(saturation: 0))
        XCTAssertEqual(gray.pixels[0], gray.pixels[1])
        XCTAssertEqual(gray.pixels[1], gray.pixels[2])
        let luma: Float = 0.299 * 200 + 0.587 * 100 + 0.114 * 50
        XCTAssertEqual(Int(gray.pixels[0]), Int(luma.rounded()))
        let flat = RGBJitter.apply(image, RGBJitter.Factors(contrast: 0))
        XCTAssertEqual(flat.pixels[0...2], flat.pixels[3...5], "contrast 0 leaves the mean luma everywhere")
        var generator = SeededGenerator(seed: 3)
        let factors = RGBJitter.Factors.random(brightness: 0.1, contrast: 0.2, saturation: 0.3, using: &generator)
        XCTAssertEqual(factors.brightness, 1, accuracy: 0.1)
        XCTAssertEqual(factors.contrast, 1, accuracy: 0.2)
        XCTAssertEqual(factors.saturation, 1, accuracy: 0.3)
    }

    func testHEDJitterIdentityAndDirection() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [120, 60, 160, 200, 120, 180])
        XCTAssertEqual(HEDJitter.apply(image, HEDJitter.Factors()), image)
        let darker = HEDJitter.apply(image, HEDJitter.Factors(hematoxylin: (1.5, 0)))
        let hBefore = ColorDeconvolution.separate(image).hematoxylin.storage
        let hAfter = ColorDeconvolution.separate(darker).hematoxylin.storage
        for (before, after) in zip(hBefore, hAfter) { XCTAssertGreaterThan(after, before) }
        var generator = SeededGenerator(seed: 11)
        let factors = HEDJitter.Factors.random(scaleRange: 0.1, shiftRange: 0.02, using: &generator)
        XCTAssertEqual(factors.hematoxylin.scale, 1, accuracy: 0.1)
        XCTAssertEqual(factors.eosin.shift, 0, accuracy: 0.02)
    }

    func testContourRingsRasteriseBackToTheInstances() {
        var labels = LabelMap(width: 12, height: 10, repeating: 0)
        // An L shape, a diagonal pair (two 4-components) and a blob with a notch.
        for (x, y) in [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3)] { labels[x, y] = 1 }
        labels[6, 1] = 2
        labels[7, 2] = 2
        for y in 5..<9 { for x in 5..<11 where !(x == 7 && y == 5) { labels[x, y] = 3 } }
        let rings = Contours.outerRings(labels)
        XCTAssertEqual(rings[1]?.count, 1)
        XCTAssertEqual(rings[2]?.count, 2)
        XCTAssertEqual(rings[1]?.first, [Point(x: 1, y: 1), Point(x: 2, y: 1), Point(x: 2, y: 3), Point(x: 4, y: 3),
                                         Point(x: 4, y: 4), Point(x: 1, y: 4), Point(x: 1, y: 1)])
        for (label, polygons) in rings {
            var redrawn = Mask(width: 12, height: 10, repeating: false)
            for ring in polygons {
                // Corners are at integer coordinates; pixel centres sit half a pixel inside.
                let shifted = ring.dropLast().map { Point(x: $0.x - 0.5, y: $0.y - 0.5) }
                PolygonRasterizer.forEachPixel(in: shifted, width: 12, height: 10) { x, y in redrawn[x, y] = true }
            }
            XCTAssertEqual(redrawn, labels.map { $0 == label }, "label \(label)")
        }
        let boundary = Contours.boundary(labels)
        XCTAssertTrue(boundary[5, 5])
        XCTAssertFalse(boundary[7, 7])
    }

    func testColourImagesBlurChannelByChannel() throws {
        var image = RGBImage(width: 9, height: 7, fill: (200, 100, 50))
        image.pixels[3 * (3 * 9 + 4)] = 0
        let blurred = GaussianBlur.apply(image, sigma: 1.2)
        var red = Plane(width: 9, height: 7, repeating: 200)
        red[4, 3] = 0
        let expected = GaussianBlur.apply(red, sigma: 1.2)
        for index in 0..<(9 * 7) {
            XCTAssertEqual(blurred.pixels[3 * index], UInt8(expected.storage[index].rounded()))
            XCTAssertEqual(blurred.pixels[3 * index + 1], 100)
            XCTAssertEqual(blurred.pixels[3 * index + 2], 50)
        }
        XCTAssertEqual(GaussianBlur.apply(image, sigma: 0), image)
    }

    func testPolygonsCarryTheirHolesTheOtherWayRound() {
        var labels = LabelMap(width: 16, height: 12, repeating: 0)
        // A ring around a one-pixel hole; a ring around another nucleus; a ring whose gap
        // meets the outside only at a corner (open to the outside: no hole).
        for y in 1..<4 { for x in 1..<4 where !(x == 2 && y == 2) { labels[x, y] = 1 } }
        for y in 5..<11 { for x in 1..<7 { labels[x, y] = 2 } }
        for y in 7..<9 { for x in 3..<5 { labels[x, y] = 3 } }
        for y in 1..<5 { for x in 9..<13 { labels[x, y] = 4 } }
        labels[12, 1] = 0
        labels[11, 2] = 0
        func signedArea(_ ring: [Point]) -> Double {
            zip(ring, ring.dropFirst()).reduce(0) { $0 + $1.0.x * $1.1.y - $1.1.x * $1.0.y } / 2
        }
        let polygons = Contours.polygons(labels)
        XCTAssertEqual(polygons[1]?.first?.count, 2)
        XCTAssertEqual(polygons[2]?.first?.count, 2)
        XCTAssertEqual(polygons[3]?.first?.count, 1)
        XCTAssertEqual(polygons[4]?.first?.count, 1, "a gap open at a corner is no hole")
        XCTAssertEqual(signedArea(polygons[1]![0][0]), 9)
        XCTAssertEqual(signedArea(polygons[1]![0][1]), -1)
        for (label, pieces) in polygons {
            var redrawn = Mask(width: 16, height: 12, repeating: false)
            for rings in pieces {
                for (index, ring) in rings.enumerated() {
                    let shifted = ring.dropLast().map { Point(x: $0.x - 0.5, y: $0.y - 0.5) }
                    PolygonRasterizer.forEachPixel(in: shifted, width: 16, height: 12) { x, y in redrawn[x, y] = index == 0 }
                }
            }
            XCTAssertEqual(redrawn, labels.map { $0 == label }, "label \(label)")
        }
        XCTAssertEqual(Contours.outerRings(labels)[2], polygons[2]!.map { $0[0] })
    }

    func testRelabelAndFillHolesPerInstance() throws {
        var labels = LabelMap(width: 7, height: 5, repeating: 0)
        for y in 0..<5 { for x in 0..<3 { labels[x, y] = 9 } }
        labels[1, 2] = 0
        labels[5, 1] = 4
        let filled = HoleFilling.fill(labels)
        XCTAssertEqual(filled[1, 2], 9)
        XCTAssertEqual(filled[5, 1], 4)
        XCTAssertEqual(filled.relabeledSequentially().instanceIDs, [1, 2])
        XCTAssertEqual(filled.relabeledSequentially()[0, 0], 1)
        XCTAssertEqual(ConnectedComponents.removeSmall(filled, minimumArea: 2).instanceIDs, [9])
    }
}
