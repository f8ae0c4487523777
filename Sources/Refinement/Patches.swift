import Imaging
import Learning

/// Converts between 8-bit images and the networks' [N, H, W, 3] tensors in [−1, 1].
public enum Patches {
    public static func tensor(_ images: [RGBImage]) -> Tensor {
        let first = images[0]
        let tensor = Tensor(zeros: [images.count, first.height, first.width, 3])
        var offset = 0
        for image in images {
            for byte in image.pixels {
                tensor.data[offset] = Float(byte) / 127.5 - 1
                offset += 1
            }
        }
        return tensor
    }

    /// Item `index` of a batch tensor back to 8 bits (clamped).
    public static func image(_ tensor: Tensor, index: Int = 0) -> RGBImage {
        let h = tensor.shape[1], w = tensor.shape[2], count = h * w * 3
        var pixels = [UInt8](repeating: 0, count: count)
        let base = tensor.data + index * count
        for i in 0..<count { pixels[i] = UInt8(min(255, max(0, ((base[i] + 1) * 127.5).rounded()))) }
        return try! RGBImage(width: w, height: h, pixels: pixels)
    }

    /// A random size×size crop, randomly flipped and rotated by multiples of 90°.
    static func random<G: RandomNumberGenerator>(from images: [RGBImage], size: Int, using rng: inout G) -> RGBImage {
        let image = images.randomElement(using: &rng)!
        let x = Int.random(in: 0...(image.width - size), using: &rng)
        let y = Int.random(in: 0...(image.height - size), using: &rng)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        let rotation = Int.random(in: 0..<4, using: &rng), flip = Bool.random(using: &rng)
        for row in 0..<size {
            for column in 0..<size {
                var (u, v) = (column, row)
                for _ in 0..<rotation { (u, v) = (size - 1 - v, u) }
                if flip { u = size - 1 - u }
                let source = ((y + v) * image.width + (x + u)) * 3, target = (row * size + column) * 3
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
        return try! RGBImage(width: size, height: size, pixels: pixels)
    }
}

/// SimGAN's history of refined patches: D sees half of its fake batch from earlier
/// refiners, so R cannot win by jumping to an artefact the current D has forgotten.
struct HistoryBuffer {
    let capacity: Int
    private(set) var patches: [[Float]] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func add<G: RandomNumberGenerator>(_ batch: [[Float]], using rng: inout G) {
        for patch in batch {
            if patches.count < capacity { patches.append(patch) } else { patches[Int.random(in: 0..<capacity, using: &rng)] = patch }
        }
    }

    func sample<G: RandomNumberGenerator>(_ count: Int, using rng: inout G) -> [[Float]] {
        (0..<count).map { _ in patches.randomElement(using: &rng)! }
    }
}

/// A tiny seeded generator (xorshift64*), so training depends only on its seed.
public struct RefinementRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

extension Tensor {
    /// Rows of a batch as separate float arrays (detached copies).
    func rows() -> [[Float]] {
        let stride = count / shape[0]
        return (0..<shape[0]).map { Array(UnsafeBufferPointer(start: data + $0 * stride, count: stride)) }
    }

    static func stack(_ rows: [[Float]], shape itemShape: [Int]) -> Tensor {
        try! Tensor(shape: [rows.count] + itemShape, values: rows.flatMap { $0 })
    }
}
