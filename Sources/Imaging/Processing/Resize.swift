/// Resampling to a new size with pixel-centre alignment: output pixel x samples the input
/// at (x + 0.5)·(inW / outW) − 0.5 (OpenCV INTER_LINEAR; nearest = INTER_NEAREST_EXACT).
public enum Resize {
    public static func nearest<Element>(_ grid: Grid<Element>, width: Int, height: Int) -> Grid<Element> {
        precondition(grid.count > 0 || width * height == 0, "cannot resize an empty grid")
        let xs = (0..<width).map { min(grid.width - 1, Int((Double($0) + 0.5) * Double(grid.width) / Double(width))) }
        let ys = (0..<height).map { min(grid.height - 1, Int((Double($0) + 0.5) * Double(grid.height) / Double(height))) }
        var values: [Element] = []
        values.reserveCapacity(width * height)
        for y in ys {
            for x in xs { values.append(grid.storage[y * grid.width + x]) }
        }
        return Grid(width: width, height: height, uncheckedStorage: values)
    }

    public static func bilinear(_ plane: Plane, width: Int, height: Int) -> Plane {
        let out = bilinear(plane.storage, channels: 1, width: plane.width, height: plane.height,
                           toWidth: width, toHeight: height)
        return Plane(width: width, height: height, uncheckedStorage: out)
    }

    public static func bilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        let out = bilinear(image.pixels.map(Float.init), channels: 3, width: image.width, height: image.height,
                           toWidth: width, toHeight: height)
        // The buffer has width × height × 3 values by construction.
        return try! RGBImage(width: width, height: height, pixels: out.map { UInt8(min(255, max(0, $0.rounded()))) })
    }

    /// For each output coordinate: the two source indices and the weight of the second.
    static func taps(output: Int, input: Int) -> [(Int, Int, Float)] {
        let scale = Double(input) / Double(output)
        return (0..<output).map { position in
            let source = max(0, (Double(position) + 0.5) * scale - 0.5)
            let low = min(Int(source), input - 1)
            let high = min(low + 1, input - 1)
            return (low, high, Float(source - Double(low)))
        }
    }

    static func bilinear(_ values: [Float], channels: Int, width: Int, height: Int,
                         toWidth: Int, toHeight: Int) -> [Float] {
        let xTaps = taps(output: toWidth, input: width)
        let yTaps = taps(output: toHeight, input: height)
        var out = [Float](repeating: 0, count: toWidth * toHeight * channels)
        for (oy, (y0, y1, fy)) in yTaps.enumerated() {
            for (ox, (x0, x1, fx)) in xTaps.enumerated() {
                for c in 0..<channels {
                    let top = values[(y0 * width + x0) * channels + c] * (1 - fx) + values[(y0 * width + x1) * channels + c] * fx
                    let bottom = values[(y1 * width + x0) * channels + c] * (1 - fx) + values[(y1 * width + x1) * channels + c] * fx
                    out[(oy * toWidth + ox) * channels + c] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }
}
