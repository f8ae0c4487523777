import Imaging

/// The current object's probabilities over the bounding rectangle of every window predicted
/// so far (0 outside): a few KB per click instead of a full-image plane, so the undo history
/// of many sessions stays small.
public struct ObjectProbabilities: Sendable, Equatable {
    public private(set) var x = 0, y = 0, width = 0, height = 0
    var values: [Float] = []

    public init() {}

    public var isEmpty: Bool { width == 0 || height == 0 }

    public func probability(x px: Int, y py: Int) -> Float {
        let lx = px - x, ly = py - y
        guard lx >= 0, ly >= 0, lx < width, ly < height else { return 0 }
        return values[ly * width + lx]
    }

    /// Replaces the probabilities inside `window` (clipped to the image) with the window's
    /// prediction, growing the rectangle as needed.
    mutating func paste(_ map: [Float], window: ZoomWindow, imageWidth: Int, imageHeight: Int) {
        let clip = window.clipped(width: imageWidth, height: imageHeight)
        guard clip.x1 > clip.x0, clip.y1 > clip.y0 else { return }
        let nx0 = isEmpty ? clip.x0 : min(x, clip.x0), ny0 = isEmpty ? clip.y0 : min(y, clip.y0)
        let nx1 = isEmpty ? clip.x1 : max(x + width, clip.x1), ny1 = isEmpty ? clip.y1 : max(y + height, clip.y1)
        var grown = [Float](repeating: 0, count: (nx1 - nx0) * (ny1 - ny0))
        let newWidth = nx1 - nx0
        for ly in 0..<height {
            for lx in 0..<width { grown[(ly + y - ny0) * newWidth + (lx + x - nx0)] = values[ly * width + lx] }
        }
        map.withUnsafeBufferPointer { buffer in
            for py in clip.y0..<clip.y1 {
                for px in clip.x0..<clip.x1 {
                    grown[(py - ny0) * newWidth + (px - nx0)] = window.readBack(buffer, x: px, y: py)
                }
            }
        }
        (x, y, width, height, values) = (nx0, ny0, newWidth, ny1 - ny0, grown)
    }

    /// Pixels above `threshold`, as a full-image mask.
    public func mask(imageWidth: Int, imageHeight: Int, threshold: Float) -> Mask {
        var mask = Mask(width: imageWidth, height: imageHeight, repeating: false)
        for ly in 0..<height {
            for lx in 0..<width where values[ly * width + lx] > threshold { mask[lx + x, ly + y] = true }
        }
        return mask
    }

    /// Bounding box (x0, y0, x1, y1 exclusive) of the pixels above `threshold`.
    func bounds(threshold: Float) -> (Int, Int, Int, Int)? {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        for ly in 0..<height {
            for lx in 0..<width where values[ly * width + lx] > threshold {
                x0 = min(x0, lx + x); y0 = min(y0, ly + y); x1 = max(x1, lx + x + 1); y1 = max(y1, ly + y + 1)
            }
        }
        return x0 == Int.max ? nil : (x0, y0, x1, y1)
    }
}
