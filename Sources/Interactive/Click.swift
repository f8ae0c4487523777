import Foundation

/// One user click in image pixel coordinates: positive = "this pixel is the object".
public struct Click: Sendable, Equatable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public var positive: Bool

    public init(x: Int, y: Int, positive: Bool) {
        self.x = x
        self.y = y
        self.positive = positive
    }
}

/// How clicks become network input channels.
public enum ClickEncoding: String, Sendable, Codable, Equatable {
    /// 1 inside a disk of the configured radius around each click, else 0 (RITM's default).
    case disk
    /// A soft map, 1 at the click decaying to 0 at 4 radii: gives the network a sense of
    /// distance for far-away pixels at no extra cost.
    case distance
}

/// Rasterises clicks given in network-input coordinates (floating point, pixel centres at
/// integers) into one `size × size` map per polarity.
public enum ClickMaps {
    /// Positive and negative maps, row-major, each `size × size`.
    public static func encode(_ points: [(u: Double, v: Double, positive: Bool)], size: Int, radius: Double,
                              encoding: ClickEncoding) -> (positive: [Float], negative: [Float]) {
        var positive = [Float](repeating: 0, count: size * size)
        var negative = [Float](repeating: 0, count: size * size)
        let reach = encoding == .disk ? radius : 4 * radius
        for point in points {
            // Only the square that the disk can touch is visited: maps cost O(clicks · r²).
            let x0 = max(0, Int((point.u - reach).rounded(.down))), x1 = min(size - 1, Int((point.u + reach).rounded(.up)))
            let y0 = max(0, Int((point.v - reach).rounded(.down))), y1 = min(size - 1, Int((point.v + reach).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let d = ((Double(x) - point.u) * (Double(x) - point.u) + (Double(y) - point.v) * (Double(y) - point.v)).squareRoot()
                    let value: Float
                    switch encoding {
                    case .disk: value = d <= radius ? 1 : 0
                    case .distance: value = Float(max(0, 1 - d / reach))
                    }
                    if point.positive {
                        positive[y * size + x] = max(positive[y * size + x], value)
                    } else {
                        negative[y * size + x] = max(negative[y * size + x], value)
                    }
                }
            }
        }
        return (positive, negative)
    }
}
