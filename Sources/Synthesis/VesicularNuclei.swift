import Imaging

/// Open (vesicular) chromatin: a pale nucleus speckled with chromatin clumps inside a dark
/// membrane, with a nucleolus.
///
/// The sampled nuclear texture is the pool's surely-nuclear pixels, the darkest ones, so
/// without this every synthetic nucleus is a uniformly dark blob, and a model trained on
/// them segments only the dark specks of the large pale nuclei of tumours (IoU ≈ 0.2 after
/// one click on MoNuSeg training nuclei of 600+ px).
public struct VesicularNuclei: Sendable, Equatable {
    /// Share of nuclei drawn vesicular; the others keep their solid texture.
    public var share: Double = 0.5
    /// Fraction of the hematoxylin density the interior loses.
    public var pallor: ClosedRange<Float> = 0.3...0.7
    /// Width (pixels) of the dark membrane that keeps its full density.
    public var rimWidth: ClosedRange<Float> = 1.5...3
    /// Chance of a nucleolus (a dark dot of radius ~1.5 px) in a vesicular nucleus.
    public var nucleolusChance: Double = 0.6
    /// Nuclei with a thinner interior than this (pixels from the outline) stay solid.
    public var minimumDepth: Float = 3
    /// Share of the interior held in coarse chromatin clumps that keep their density: open
    /// nuclei are not evenly pale but speckled, and a model that has seen only even ones
    /// outlines the clumps of a real one instead of the nucleus.
    public var clumping: ClosedRange<Float> = 0.1...0.4
    /// Size of the clumps: the Gaussian sigma (pixels) of the smoothed noise they are cut from.
    public var clumpSigma: Double = 1.0

    public init() {}

    /// Pales the interior of a random share of the nuclei of `labels` in `hematoxylin`.
    public func apply<G: RandomNumberGenerator>(to hematoxylin: inout Plane, labels: LabelMap, using rng: inout G) {
        for (id, box) in labels.instanceExtents() {
            guard Double.random(in: 0..<1, using: &rng) < share else { continue }
            let loss = Float.random(in: pallor, using: &rng), rim = Float.random(in: rimWidth, using: &rng)
            let hasNucleolus = Double.random(in: 0..<1, using: &rng) < nucleolusChance
            // One pixel of margin so the box's edge is outside the nucleus.
            let x0 = box.x0 - 1, y0 = box.y0 - 1, width = box.x1 - box.x0 + 2, height = box.y1 - box.y0 + 2
            var inside = Mask(width: width, height: height, repeating: false)
            for y in box.y0..<box.y1 {
                for x in box.x0..<box.x1 where labels[x, y] == id { inside[x - x0, y - y0] = true }
            }
            let depth = DistanceTransform.euclidean(inside)
            let interior = depth.storage.indices.filter { depth.storage[$0] > rim }
            guard (depth.storage.max() ?? 0) >= minimumDepth, !interior.isEmpty else { continue }
            let nucleolus = interior[Int.random(in: 0..<interior.count, using: &rng)]
            let (nx, ny) = (Float(nucleolus % width), Float(nucleolus / width))
            let clumps = clumpWeights(interior: interior, width: width, height: height, using: &rng)
            for (k, local) in interior.enumerated() {
                let (lx, ly) = (local % width, local / width)
                let index = (ly + y0) * labels.width + lx + x0
                let dx = Float(lx) - nx, dy = Float(ly) - ny
                let factor = hasNucleolus && dx * dx + dy * dy <= 2.25 ? 1.2 : 1 - loss * (1 - clumps[k])
                hematoxylin.storage[index] *= factor
            }
        }
    }

    /// Per interior pixel, how much of its density a clump keeps (0 = paled in full, 1 = kept):
    /// the top `clumping` share of smoothed noise, with a soft edge.
    func clumpWeights<G: RandomNumberGenerator>(interior: [Int], width: Int, height: Int,
                                                using rng: inout G) -> [Float] {
        let share = Float.random(in: clumping, using: &rng)
        guard share > 0 else { return [Float](repeating: 0, count: interior.count) }
        var noise = Plane(width: width, height: height, repeating: 0)
        for index in noise.storage.indices { noise.storage[index] = Float.random(in: -1...1, using: &rng) }
        noise = GaussianBlur.apply(noise, sigma: clumpSigma)
        let values = interior.map { noise.storage[$0] }
        let sorted = values.sorted()
        let cut = sorted[min(sorted.count - 1, Int(Float(sorted.count) * (1 - share)))]
        let edge = max(1e-6, (sorted[sorted.count - 1] - sorted[0]) * 0.1)
        return values.map { min(1, max(0, ($0 - cut) / edge + 0.5)) }
    }
}
