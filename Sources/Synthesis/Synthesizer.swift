import Foundation
import Imaging
import Randomness

/// Initial synthesis (Hou et al., CVPR 2019): random nuclear masks from the pool's
/// statistics, painted with real nuclear texture (half of them opened into vesicular
/// nuclei) over a real background whose nuclei were inpainted away: S = M·N + (1−M)·B.
/// Pair `index` of seed `seed` is always the same.
public struct Synthesizer: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var size: Int = 256
        /// Blur of the mask boundary (pixels) for the soft M of the composite.
        public var boundarySigma: Double = 1.0
        /// Smoothing of the sampled nuclear texture (pixels): chromatin grain, not white noise.
        public var textureSigma: Double = 1.0
        /// Per-nucleus multiplicative variation of the hematoxylin density.
        public var stainVariation: ClosedRange<Float> = 0.8...1.2
        /// Fewer sure nuclear samples than this in an image: completed with H/E texture.
        public var minimumTextureSamples: Int = 500
        public var layout = NuclearLayout.Parameters()
        /// Which nuclei get open chromatin (a pale interior speckled with clumps, inside a dark membrane).
        public var vesicular = VesicularNuclei()
        public init(size: Int = 256) { self.size = size }
    }

    public let pool: SynthesisPool
    public let configuration: Configuration

    public init(pool: SynthesisPool, configuration: Configuration = Configuration()) throws(SynthesisError) {
        guard configuration.size >= 16, configuration.size <= 4096 else {
            throw .invalidArgument("synthesis size must be 16...4096 pixels, got \(configuration.size)")
        }
        guard pool.sources.contains(where: { $0.image.width >= configuration.size && $0.image.height >= configuration.size }) else {
            throw .noUsableImages("no pool image is at least \(configuration.size)×\(configuration.size)")
        }
        self.pool = pool
        self.configuration = configuration
    }

    /// Everything one synthetic pair is made of, for tests and for looking.
    public struct Pair: Sendable {
        public var image: RGBImage
        public var labels: LabelMap
        public var layout: NuclearLayout
        public var background: RGBImage
        public var nuclearTexture: RGBImage
        public var softMask: Plane
        public var sourceName: String
        public var crop: (x: Int, y: Int)
    }

    public func generate(index: Int, seed: UInt64) -> Pair {
        var rng = SplitMix64.forItem(index, of: seed)
        let size = configuration.size
        let candidates = pool.sources.filter { $0.image.width >= size && $0.image.height >= size }
        let source = candidates.randomElement(using: &rng)!
        let x = Int.random(in: 0...(source.image.width - size), using: &rng)
        let y = Int.random(in: 0...(source.image.height - size), using: &rng)
        let background = crop(source.background, x: x, y: y, size: size)
        let layout = NuclearLayout.generate(width: size, height: size, statistics: pool.statistics,
                                            parameters: configuration.layout, using: &rng)
        let labels = layout.labels
        let texture = nuclearTexture(source: source, background: background, labels: labels, using: &rng)
        let mask = Composite.softMask(labels, sigma: configuration.boundarySigma)
        // Sizes are equal by construction.
        let image = try! Composite.blend(nuclear: texture, background: background, mask: mask)
        return Pair(image: image, labels: labels, layout: layout, background: background, nuclearTexture: texture,
                    softMask: mask, sourceName: source.name, crop: (x, y))
    }

    /// Nuclear material N: per pixel a random sure-nuclear stain sample of the source image
    /// (pool-wide when the image has few), smoothed into grain with its spread restored.
    /// When samples are short, that share of pixels takes the background's own H/E texture
    /// raised to nuclear hematoxylin density instead.
    func nuclearTexture<G: RandomNumberGenerator>(source: SynthesisPool.Source, background: RGBImage, labels: LabelMap,
                                                  using rng: inout G) -> RGBImage {
        var hSamples = source.nuclearHematoxylin, eSamples = source.nuclearEosin, dSamples = source.nuclearResidual
        if hSamples.count < configuration.minimumTextureSamples {
            for other in pool.sources where other.name != source.name {
                hSamples += other.nuclearHematoxylin.prefix(2_000)
                eSamples += other.nuclearEosin.prefix(2_000)
                dSamples += other.nuclearResidual.prefix(2_000)
            }
        }
        let share = min(1, Float(hSamples.count) / Float(configuration.minimumTextureSamples))
        let backgroundStains = ColorDeconvolution.separate(background)
        let size = configuration.size, count = size * size
        var h = Plane(width: size, height: size, repeating: 0), e = h, d = h
        let lift = max(0, source.threshold * 1.3 - mean(backgroundStains.hematoxylin.storage))
        for index in 0..<count {
            if !hSamples.isEmpty && Float.random(in: 0..<1, using: &rng) < share {
                let pick = Int.random(in: 0..<hSamples.count, using: &rng)
                h.storage[index] = hSamples[pick]
                e.storage[index] = eSamples[pick]
                d.storage[index] = dSamples[pick]
            } else {
                h.storage[index] = backgroundStains.hematoxylin.storage[index] + lift
                e.storage[index] = backgroundStains.eosin.storage[index]
                d.storage[index] = backgroundStains.dab.storage[index]
            }
        }
        h = grain(h)
        e = grain(e)
        d = grain(d)
        // Nuclei differ in how much stain they took up.
        var factors = [Float](repeating: 1, count: Int(labels.maxLabel) + 1)
        for label in factors.indices { factors[label] = Float.random(in: configuration.stainVariation, using: &rng) }
        for index in 0..<count { h.storage[index] = max(0, h.storage[index] * factors[Int(labels.storage[index])]) }
        configuration.vesicular.apply(to: &h, labels: labels, using: &rng)
        return ColorDeconvolution.combine(StainPlanes(hematoxylin: h, eosin: e, dab: d))
    }

    /// Smooths white noise into grain and restores its standard deviation.
    private func grain(_ plane: Plane) -> Plane {
        guard configuration.textureSigma > 0 else { return plane }
        let m = mean(plane.storage)
        let blurred = GaussianBlur.apply(plane, sigma: configuration.textureSigma)
        let before = deviation(plane.storage, m), after = deviation(blurred.storage, m)
        let gain = after > 1e-6 ? min(3, before / after) * 0.4 : 1
        return blurred.map { max(0, m + ($0 - m) * gain) }
    }

    private func crop(_ image: RGBImage, x: Int, y: Int, size: Int) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(size * size * 3)
        for row in y..<(y + size) {
            let start = (row * image.width + x) * 3
            pixels.append(contentsOf: image.pixels[start..<(start + size * 3)])
        }
        return try! RGBImage(width: size, height: size, pixels: pixels)
    }
}

private func mean(_ values: [Float]) -> Float {
    values.isEmpty ? 0 : values.reduce(0, +) / Float(values.count)
}

private func deviation(_ values: [Float], _ mean: Float) -> Float {
    guard !values.isEmpty else { return 0 }
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
}
