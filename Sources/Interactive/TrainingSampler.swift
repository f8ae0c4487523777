import Datasets
import Imaging

/// Draws training windows the way the predictor will see nuclei: a window around a first
/// click inside the nucleus (as for a first click), or around the nucleus's bbox expanded
/// 1.3–2× (as for later clicks), with the 8 flips/rotations of the square crop.
struct TrainingSampler {
    struct Instance { var image: Int; var id: UInt32; var x0, y0, x1, y1: Int }

    struct Sample {
        /// Normalised image crop, `S² × 3`.
        var image: [Float]
        /// The nucleus in the crop, `S²`, 0 or 1.
        var target: [Float]
        var firstClick: (u: Double, v: Double)
    }

    let pairs: [LabeledImage]
    let instances: [Instance]
    let input: NetworkInput
    let options: PredictorOptions

    init(pairs: [LabeledImage], input: NetworkInput, options: PredictorOptions, minimumArea: Int = 12) throws(InteractiveError) {
        self.pairs = pairs
        self.input = input
        self.options = options
        var instances: [Instance] = []
        for (index, pair) in pairs.enumerated() {
            for (id, e) in pair.labels.instanceExtents() where e.area >= minimumArea {
                instances.append(Instance(image: index, id: id, x0: e.x0, y0: e.y0, x1: e.x1, y1: e.y1))
            }
        }
        guard !instances.isEmpty else { throw .invalidArgument("the training data has no nuclei of \(minimumArea)+ pixels") }
        self.instances = instances
    }

    func sample<G: RandomNumberGenerator>(using generator: inout G) -> Sample {
        let instance = instances[Int.random(in: 0..<instances.count, using: &generator)]
        let pair = pairs[instance.image]
        let click = firstClick(instance, pair.labels, using: &generator)
        let size = input.size
        let window: ZoomWindow
        if Bool.random(using: &generator) {
            let side = options.firstClickWindow + Int.random(in: -12...12, using: &generator)
            window = .centred(x: Double(click.x), y: Double(click.y), size: side, outputSize: size)
        } else {
            let extent = Double(max(instance.x1 - instance.x0, instance.y1 - instance.y0))
            let side = Int(min(max(extent * Double.random(in: 1.3...2.0, using: &generator), Double(options.minimumWindow)),
                               Double(options.maximumWindow)))
            let jitter = Double(side) * 0.1
            window = .centred(x: Double(instance.x0 + instance.x1) / 2 + Double.random(in: -jitter...jitter, using: &generator),
                              y: Double(instance.y0 + instance.y1) / 2 + Double.random(in: -jitter...jitter, using: &generator),
                              size: side, outputSize: size)
        }
        var image = input.image(pair.image, window: window)
        var target = window.sampleNearest(width: pair.labels.width, height: pair.labels.height) { pair.labels[$0, $1] == instance.id }
        var point = window.toNetwork(x: Double(click.x), y: Double(click.y))
        let transform = Int.random(in: 0..<8, using: &generator)
        image = Self.dihedral(image, size: size, channels: 3, transform)
        target = Self.dihedral(target, size: size, channels: 1, transform)
        point = Self.dihedral(point, size: size, transform)
        // Mild stain variation: per-channel gain and offset in normalised units.
        for c in 0..<3 {
            let gain = Float.random(in: 0.9...1.1, using: &generator), offset = Float.random(in: -0.15...0.15, using: &generator)
            for i in stride(from: c, to: image.count, by: 3) { image[i] = image[i] * gain + offset }
        }
        return Sample(image: image, target: target, firstClick: point)
    }

    /// Half the time the nucleus's innermost pixel (where the robot clicks first), half the
    /// time a random pixel at least ~1/3 of the way in (where people click).
    private func firstClick<G: RandomNumberGenerator>(_ instance: Instance, _ labels: LabelMap, using generator: inout G) -> (x: Int, y: Int) {
        let width = instance.x1 - instance.x0 + 2, height = instance.y1 - instance.y0 + 2
        var mask = Mask(width: width, height: height, repeating: false)
        for y in instance.y0..<instance.y1 {
            for x in instance.x0..<instance.x1 where labels[x, y] == instance.id { mask[x - instance.x0 + 1, y - instance.y0 + 1] = true }
        }
        let distance = DistanceTransform.euclidean(mask)
        let deepest = distance.storage.max() ?? 0
        var candidates: [Int] = []
        if Bool.random(using: &generator) {
            candidates = distance.storage.indices.filter { distance.storage[$0] >= deepest }
        } else {
            let floor = max(1, deepest * 0.35)
            candidates = distance.storage.indices.filter { distance.storage[$0] >= floor }
        }
        let index = candidates.isEmpty ? distance.storage.firstIndex(of: deepest)! : candidates[Int.random(in: 0..<candidates.count, using: &generator)]
        return (index % width + instance.x0 - 1, index / width + instance.y0 - 1)
    }

    /// One of the 8 symmetries of the square (bit 0: flip x, bit 1: flip y, bit 2: transpose).
    static func dihedral(_ values: [Float], size: Int, channels: Int, _ transform: Int) -> [Float] {
        guard transform != 0 else { return values }
        var out = values
        for y in 0..<size {
            for x in 0..<size {
                let (sx, sy) = source(x, y, size, transform)
                for c in 0..<channels { out[(y * size + x) * channels + c] = values[(sy * size + sx) * channels + c] }
            }
        }
        return out
    }

    static func dihedral(_ point: (u: Double, v: Double), size: Int, _ transform: Int) -> (u: Double, v: Double) {
        // Inverse of `source`: where the source pixel (u, v) lands.
        var (u, v) = point
        if transform & 4 != 0 { (u, v) = (v, u) }
        if transform & 1 != 0 { u = Double(size - 1) - u }
        if transform & 2 != 0 { v = Double(size - 1) - v }
        return (u, v)
    }

    private static func source(_ x: Int, _ y: Int, _ size: Int, _ transform: Int) -> (Int, Int) {
        var sx = transform & 1 != 0 ? size - 1 - x : x
        var sy = transform & 2 != 0 ? size - 1 - y : y
        if transform & 4 != 0 { (sx, sy) = (sy, sx) }
        return (sx, sy)
    }
}
