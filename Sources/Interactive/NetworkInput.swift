import Imaging
import Learning

/// Builds the network's two inputs for a batch of windows: the normalised image crops
/// [N, S, S, 3] and the guidance [N, S, S, 3] = positive clicks, negative clicks, previous
/// mask. Training and inference share it, so both see identically encoded clicks.
struct NetworkInput {
    let configuration: InteractiveModelConfiguration
    var size: Int { configuration.inputSize }

    /// Guidance for one window from clicks in network coordinates and the previous mask
    /// (`size²` probabilities, or nil for none), interleaved HWC.
    func guidance(points: [(u: Double, v: Double, positive: Bool)], previous: [Float]?) -> [Float] {
        let maps = ClickMaps.encode(points, size: size, radius: configuration.clickRadius, encoding: configuration.clickEncoding)
        var out = [Float](repeating: 0, count: size * size * 3)
        for index in 0..<(size * size) {
            out[index * 3] = maps.positive[index]
            out[index * 3 + 1] = maps.negative[index]
            out[index * 3 + 2] = previous?[index] ?? 0
        }
        return out
    }

    /// Concatenates per-window HWC buffers into one [N, S, S, channels] tensor.
    func batch(_ items: [[Float]], channels: Int) -> Tensor {
        let tensor = Tensor(zeros: [items.count, size, size, channels])
        let stride = size * size * channels
        for (n, item) in items.enumerated() {
            precondition(item.count == stride, "window buffer has \(item.count) values, expected \(stride)")
            item.withUnsafeBufferPointer { source in (tensor.data + n * stride).update(from: source.baseAddress!, count: stride) }
        }
        return tensor
    }

    func image(_ image: RGBImage, window: ZoomWindow) -> [Float] {
        window.sample(image, mean: configuration.mean, std: configuration.std)
    }
}
