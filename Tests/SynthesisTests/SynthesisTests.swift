import Foundation
import Imaging
import Synthesis
import TestSupport
import XCTest
import Randomness

final class SynthesisTests: XCTestCase {
    func testPoolStatisticsFindTheNuclei() throws {
        let pool = try FakeTissue.pool()
        let stats = pool.statistics
        // Fake nuclei are ellipses with semi-axes 4–8 px: areas ~50–200 px.
        XCTAssertGreaterThan(stats.minimumArea, 20)
        XCTAssertLessThan(stats.maximumArea, 400)
        XCTAssertGreaterThan(stats.nuclearCoverage, 0.03)
        XCTAssertLessThan(stats.nuclearCoverage, 0.5)
        XCTAssert(stats.axisRatios.allSatisfy { $0 > 0.3 && $0 <= 1.0001 })
    }

    func testLayoutsKeepOverlapAndSizesWithinTheEstimatedRange() throws {
        let stats = try FakeTissue.pool().statistics
        for seed in 0..<5 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let layout = NuclearLayout.generate(width: 96, height: 96, statistics: stats, using: &rng)
            XCTAssertGreaterThan(layout.nuclei.count, 3)
            for nucleus in layout.nuclei {
                XCTAssertGreaterThanOrEqual(nucleus.polygonArea, stats.minimumArea * 0.999)
                XCTAssertLessThanOrEqual(nucleus.polygonArea, stats.maximumArea * 1.001)
            }
            for i in layout.nuclei.indices {
                for j in layout.nuclei.indices where j > i {
                    XCTAssertLessThanOrEqual(layout.overlap(i, j), 0.05, "nuclei \(i) and \(j) of seed \(seed)")
                }
            }
            XCTAssertEqual(layout.labels.instanceIDs.count, layout.nuclei.count)
        }
    }

    func testCrowdedLayoutsKeepThePoolsSizeDistribution() {
        // A crowded pool with sizes spread over a decade: placed one by one, a filling layout
        // would accept mostly the small nuclei.
        let areas = (0..<100).map { 40 + 3.6 * Double($0) }
        let stats = PoolStatistics(areas: areas, axisRatios: [0.7, 0.8, 0.9, 1], nuclearCoverage: 0.4, densityPer10k: 20)
        var placed: [Double] = []
        for seed in 0..<10 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            placed += NuclearLayout.generate(width: 128, height: 128, statistics: stats, using: &rng).nuclei.map(\.polygonArea)
        }
        placed.sort()
        let median = placed[placed.count / 2]
        XCTAssertEqual(median, stats.medianArea, accuracy: 0.1 * stats.medianArea)
    }

    func testVesicularNucleiArePaleInsideADarkMembrane() {
        // A disk of radius 8 (label 1) and one of radius 2 (label 2), hematoxylin 1 everywhere.
        var labels = LabelMap(width: 40, height: 24, repeating: 0)
        for y in 0..<24 {
            for x in 0..<40 {
                if (x - 12) * (x - 12) + (y - 12) * (y - 12) <= 64 { labels[x, y] = 1 }
                if (x - 32) * (x - 32) + (y - 12) * (y - 12) <= 4 { labels[x, y] = 2 }
            }
        }
        var vesicular = VesicularNuclei()
        vesicular.share = 1
        vesicular.nucleolusChance = 0
        vesicular.rimWidth = 2...2
        vesicular.clumping = 0...0
        var h = Plane(width: 40, height: 24, repeating: 1)
        var rng = SplitMix64(seed: 3)
        vesicular.apply(to: &h, labels: labels, using: &rng)

        let depth = DistanceTransform.euclidean(labels.map { $0 == 1 })
        let interior = h.storage.indices.filter { depth.storage[$0] > 2 }.map { h.storage[$0] }
        XCTAssertFalse(interior.isEmpty)
        // One pallor per nucleus, within the configured range.
        XCTAssertEqual(Set(interior).count, 1)
        XCTAssert(vesicular.pallor.contains(1 - interior[0]))
        // The membrane, the background and the nucleus too thin to be open keep their density.
        for index in h.storage.indices where depth.storage[index] <= 2 {
            XCTAssertEqual(h.storage[index], 1, "pixel \(index % 40),\(index / 40)")
        }

        // A nucleolus: a dot of up to 9 pixels darker than the membrane.
        vesicular.nucleolusChance = 1
        var withNucleolus = Plane(width: 40, height: 24, repeating: 1)
        vesicular.apply(to: &withNucleolus, labels: labels, using: &rng)
        let dot = withNucleolus.storage.filter { $0 > 1 }.count
        XCTAssert((1...9).contains(dot), "\(dot) nucleolus pixels")

        // Clumps: about the drawn share of the interior keeps (nearly) its density, the rest
        // is paled by the nucleus's one factor; the membrane is still untouched.
        vesicular.nucleolusChance = 0
        vesicular.clumping = 0.3...0.3
        var clumped = Plane(width: 40, height: 24, repeating: 1)
        vesicular.apply(to: &clumped, labels: labels, using: &rng)
        let inside = clumped.storage.indices.filter { depth.storage[$0] > 2 }.map { clumped.storage[$0] }
        let pale = inside.min() ?? 1
        XCTAssert(vesicular.pallor.contains(1 - pale))
        let kept = inside.filter { $0 > 1 - (1 - pale) / 2 }.count
        XCTAssertEqual(Double(kept) / Double(inside.count), 0.3, accuracy: 0.12)
        XCTAssertGreaterThan(inside.filter { $0 == pale }.count, inside.count / 3)
        for index in clumped.storage.indices where depth.storage[index] <= 2 { XCTAssertEqual(clumped.storage[index], 1) }
    }

    func testCompositeIsMaskWeightedMixOfNucleusAndBackground() throws {
        let nuclear = RGBImage(width: 3, height: 1, fill: (100, 20, 200))
        let background = RGBImage(width: 3, height: 1, fill: (200, 220, 0))
        let mask = try Plane(width: 3, height: 1, storage: [0, 0.5, 1])
        let out = try Composite.blend(nuclear: nuclear, background: background, mask: mask)
        XCTAssertEqual(out.pixels, [200, 220, 0, 150, 120, 100, 100, 20, 200])
        XCTAssertThrowsError(try Composite.blend(nuclear: nuclear, background: RGBImage(width: 2, height: 1), mask: mask))
    }

    func testPairsComposeTextureOverBackgroundWithSoftBoundaries() throws {
        var configuration = Synthesizer.Configuration(size: 64)
        configuration.boundarySigma = 1
        let synthesizer = try Synthesizer(pool: try FakeTissue.pool(), configuration: configuration)
        let pair = synthesizer.generate(index: 0, seed: 1)
        XCTAssertEqual(pair.image.width, 64)
        XCTAssertEqual(pair.labels.width, 64)
        for index in 0..<(64 * 64) {
            let m = pair.softMask.storage[index]
            for channel in 0..<3 {
                let expected = m * Float(pair.nuclearTexture.pixels[3 * index + channel]) + (1 - m) * Float(pair.background.pixels[3 * index + channel])
                XCTAssertEqual(Float(pair.image.pixels[3 * index + channel]), expected, accuracy: 0.51)
            }
        }
        // Soft boundary: some pixels are strictly between background and nucleus.
        XCTAssert(pair.softMask.storage.contains { $0 > 0.2 && $0 < 0.8 })
        // Nuclei are darker in hematoxylin than the background around them.
        let h = ColorDeconvolution.separate(pair.image).hematoxylin
        let inside = pair.labels.storage.indices.filter { pair.labels.storage[$0] != 0 }.map { h.storage[$0] }
        let outside = pair.labels.storage.indices.filter { pair.softMask.storage[$0] == 0 }.map { h.storage[$0] }
        XCTAssertGreaterThan(inside.reduce(0, +) / Float(inside.count), 1.5 * outside.reduce(0, +) / Float(outside.count))
    }

    func testBackgroundsAreInpaintedWithoutNuclearPixels() throws {
        let pool = try FakeTissue.pool(images: 1)
        let source = pool.sources[0]
        let before = ColorDeconvolution.separate(source.image).hematoxylin
        let after = GaussianBlur.apply(ColorDeconvolution.separate(source.background).hematoxylin, sigma: 1)
        let removed = source.removed.storage.indices.filter { source.removed.storage[$0] }
        XCTAssertFalse(removed.isEmpty)
        // The original had nuclear-dark pixels there; the background has none left anywhere.
        XCTAssert(removed.contains { before.storage[$0] > source.threshold })
        let dark = after.storage.filter { $0 > source.threshold }.count
        XCTAssertLessThan(Double(dark) / Double(after.count), 0.002)
        // Outside the removed region the background is the original image.
        for index in 0..<source.removed.count where !source.removed.storage[index] {
            XCTAssertEqual(source.background.pixels[3 * index], source.image.pixels[3 * index])
        }
    }

    func testSameSeedSamePairDifferentSeedDifferentPair() throws {
        let synthesizer = try Synthesizer(pool: try FakeTissue.pool(), configuration: .init(size: 64))
        let a = synthesizer.generate(index: 3, seed: 42), b = synthesizer.generate(index: 3, seed: 42)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.labels, b.labels)
        let c = synthesizer.generate(index: 3, seed: 43), d = synthesizer.generate(index: 4, seed: 42)
        XCTAssertNotEqual(a.image, c.image)
        XCTAssertNotEqual(a.image, d.image)
    }

    func testWriteProducesACompleteFolderOrNothing() throws {
        let root = TestPaths.temporaryDirectory("synth-write")
        defer { try? FileManager.default.removeItem(at: root) }
        let synthesizer = try Synthesizer(pool: try FakeTissue.pool(), configuration: .init(size: 48))
        let out = root.appendingPathComponent("set")
        let manifest = try SyntheticDataset.write(synthesizer, count: 3, seed: 7, to: out)
        XCTAssertEqual(manifest.count, 3)
        let images = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("images").path).sorted()
        XCTAssertEqual(images, ["synthetic_0.png", "synthetic_1.png", "synthetic_2.png"])
        XCTAssertEqual(try ImageFiles.readLabelMap(out.appendingPathComponent("instance_masks/synthetic_1.png")),
                       synthesizer.generate(index: 1, seed: 7).labels)
        XCTAssert(FileManager.default.fileExists(atPath: out.appendingPathComponent("synthesis.json").path))
        // An existing folder is not overwritten; a cancelled run leaves nothing behind.
        XCTAssertThrowsError(try SyntheticDataset.write(synthesizer, count: 1, seed: 7, to: out))
        let cancelled = root.appendingPathComponent("cancelled")
        XCTAssertThrowsError(try SyntheticDataset.write(synthesizer, count: 5, seed: 7, to: cancelled, progress: { _ in },
                                                        isCancelled: { true }))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["set"])
        for count in [0, SyntheticDataset.maximumCount + 1] {
            XCTAssertThrowsError(try SyntheticDataset.write(synthesizer, count: count, seed: 1, to: root.appendingPathComponent("x"))) {
                guard case SynthesisError.invalidArgument = $0 else { return XCTFail("\($0)") }
            }
        }
    }

    func testBadPoolsGiveClearErrors() throws {
        let root = TestPaths.temporaryDirectory("synth-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        XCTAssertThrowsError(try SynthesisPool.load(folder: root)) {
            guard case SynthesisError.noUsableImages = $0 else { return XCTFail("\($0)") }
        }
        try ImageFiles.writeRGB(RGBImage(width: 128, height: 128), to: root.appendingPathComponent("white.png"))
        XCTAssertThrowsError(try SynthesisPool.load(folder: root)) { error in
            guard case let SynthesisError.noUsableImages(detail) = error else { return XCTFail("\(error)") }
            XCTAssert(detail.contains("white"), detail)
        }
        try Data("not an image".utf8).write(to: root.appendingPathComponent("broken.png"))
        XCTAssertThrowsError(try SynthesisPool.load(folder: root)) { error in
            guard case let SynthesisError.unreadable(path, _) = error else { return XCTFail("\(error)") }
            XCTAssert(path.hasSuffix("broken.png"))
        }
        XCTAssertThrowsError(try Synthesizer(pool: try FakeTissue.pool(), configuration: .init(size: 512))) {
            guard case SynthesisError.noUsableImages = $0 else { return XCTFail("\($0)") }
        }
    }

    func testRealPoolStatisticsArePlausible() throws {
        guard let monuseg = TestPaths.monuseg else { throw XCTSkip("../shared/data/monuseg is absent: real-pool check skipped") }
        let pool = try SynthesisPool.load(folder: monuseg.appendingPathComponent("train"), maximumImages: 1)
        XCTAssertGreaterThan(pool.statistics.medianArea, 40)
        XCTAssertLessThan(pool.statistics.medianArea, 1000)
        let pair = try Synthesizer(pool: pool).generate(index: 0, seed: 1)
        XCTAssertGreaterThan(pair.labels.instanceIDs.count, 5)
    }
}
