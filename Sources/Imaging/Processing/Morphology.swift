/// A flat structuring element centred on its middle pixel, described row by row as
/// horizontal runs (every disk or ellipse row is one run), which keeps erosion and
/// dilation at one prefix-sum lookup per element row.
public struct StructuringElement: Sendable, Equatable {
    /// For each row offset dy in −radiusY...radiusY, the run −halfWidth...halfWidth (−1 = empty row).
    public let halfWidths: [Int]

    public var radiusY: Int { halfWidths.count / 2 }

    /// skimage.morphology.disk(radius): offsets with x² + y² ≤ radius².
    public static func disk(radius: Int) -> StructuringElement {
        precondition(radius >= 0, "disk radius must not be negative")
        let halfWidths = (-radius...radius).map { dy in
            var half = 0
            while (half + 1) * (half + 1) + dy * dy <= radius * radius { half += 1 }
            return half
        }
        return StructuringElement(halfWidths: halfWidths)
    }

    /// skimage.morphology.ellipse(width, height): a (2·height+1) × (2·width+1) element of
    /// the offsets with (x/(width+1))² + (y/(height+1))² < 1.
    public static func ellipse(width: Int, height: Int) -> StructuringElement {
        precondition(width >= 0 && height >= 0, "ellipse sizes must not be negative")
        let a = (width + 1) * (width + 1), b = (height + 1) * (height + 1)
        let halfWidths = (-height...height).map { dy -> Int in
            var half = -1
            while half < width && (half + 1) * (half + 1) * b + dy * dy * a < a * b { half += 1 }
            return half
        }
        return StructuringElement(halfWidths: halfWidths)
    }

    /// A (2r+1) × (2r+1) square.
    public static func square(radius: Int) -> StructuringElement {
        StructuringElement(halfWidths: Array(repeating: radius, count: 2 * radius + 1))
    }

    public init(halfWidths: [Int]) {
        precondition(halfWidths.count % 2 == 1, "a structuring element has an odd number of rows")
        self.halfWidths = halfWidths
    }

    /// The element as a mask of (2·max half width + 1) × rows, for display and tests.
    public var mask: Mask {
        let radiusX = halfWidths.max() ?? 0
        var mask = Mask(width: 2 * radiusX + 1, height: halfWidths.count, repeating: false)
        for (row, half) in halfWidths.enumerated() where half >= 0 {
            for dx in -half...half { mask[radiusX + dx, row] = true }
        }
        return mask
    }
}

/// Binary morphology. Pixels outside the image never change the result (skimage's
/// default): erosion treats them as foreground, dilation as background.
public enum Morphology {
    public static func dilate(_ mask: Mask, _ element: StructuringElement) -> Mask {
        sweep(mask, element, dilation: true)
    }

    public static func erode(_ mask: Mask, _ element: StructuringElement) -> Mask {
        sweep(mask, element, dilation: false)
    }

    public static func open(_ mask: Mask, _ element: StructuringElement) -> Mask {
        dilate(erode(mask, element), element)
    }

    public static func close(_ mask: Mask, _ element: StructuringElement) -> Mask {
        erode(dilate(mask, element), element)
    }

    /// Dilation: any foreground under the element. Erosion: no background under it;
    /// both are counts over row runs, read from per-row prefix sums of foreground
    /// (dilation) or background (erosion).
    private static func sweep(_ mask: Mask, _ element: StructuringElement, dilation: Bool) -> Mask {
        let width = mask.width, height = mask.height
        var prefix = [Int32](repeating: 0, count: (width + 1) * height)
        for y in 0..<height {
            var running: Int32 = 0
            for x in 0..<width {
                if mask.storage[y * width + x] == dilation { running += 1 }
                prefix[y * (width + 1) + x + 1] = running
            }
        }
        var out = Mask(width: width, height: height, repeating: !dilation)
        let radiusY = element.radiusY
        prefix.withUnsafeBufferPointer { sums in
            out.storage.withUnsafeMutableBufferPointer { result in
                for y in 0..<height {
                    for (row, half) in element.halfWidths.enumerated() where half >= 0 {
                        let sy = y + row - radiusY
                        guard sy >= 0 && sy < height else { continue }
                        let base = sy * (width + 1)
                        for x in 0..<width {
                            let low = max(0, x - half), high = min(width, x + half + 1)
                            if sums[base + high] - sums[base + low] > 0 { result[y * width + x] = dilation }
                        }
                    }
                }
            }
        }
        return out
    }
}
