/// Stain augmentation in H&E(D) space (Tellez et al. 2018): each stain's optical density
/// is scaled and shifted, then the image is recombined, so colour changes stay the kind a
/// different lab or scanner produces.
public enum HEDJitter {
    /// Per-stain (scale, shift): density' = density · scale + shift.
    public struct Factors: Sendable, Equatable {
        public var hematoxylin: (scale: Float, shift: Float)
        public var eosin: (scale: Float, shift: Float)
        public var dab: (scale: Float, shift: Float)

        public init(hematoxylin: (scale: Float, shift: Float) = (1, 0), eosin: (scale: Float, shift: Float) = (1, 0),
                    dab: (scale: Float, shift: Float) = (1, 0)) {
            self.hematoxylin = hematoxylin
            self.eosin = eosin
            self.dab = dab
        }

        public static func == (lhs: Factors, rhs: Factors) -> Bool {
            lhs.hematoxylin == rhs.hematoxylin && lhs.eosin == rhs.eosin && lhs.dab == rhs.dab
        }

        /// Scales uniform in 1 ± scaleRange, shifts uniform in ±shiftRange.
        public static func random<Generator: RandomNumberGenerator>(
            scaleRange: Float = 0.05, shiftRange: Float = 0.05, using generator: inout Generator
        ) -> Factors {
            func draw() -> (scale: Float, shift: Float) {
                (1 + Float.random(in: -scaleRange...scaleRange, using: &generator),
                 Float.random(in: -shiftRange...shiftRange, using: &generator))
            }
            return Factors(hematoxylin: draw(), eosin: draw(), dab: draw())
        }
    }

    public static func apply(_ image: RGBImage, _ factors: Factors) -> RGBImage {
        var stains = ColorDeconvolution.separate(image)
        func adjust(_ plane: inout Plane, _ factor: (scale: Float, shift: Float)) {
            for index in plane.storage.indices { plane.storage[index] = plane.storage[index] * factor.scale + factor.shift }
        }
        adjust(&stains.hematoxylin, factors.hematoxylin)
        adjust(&stains.eosin, factors.eosin)
        adjust(&stains.dab, factors.dab)
        return ColorDeconvolution.combine(stains)
    }
}

/// Brightness, contrast and saturation jitter in RGB, as torchvision's `ColorJitter` defines
/// them: brightness scales every channel, contrast blends with the image's mean luma,
/// saturation blends with each pixel's luma (ITU-R 601 weights). Where HED jitter models
/// stain variation, this models scanner and exposure differences between sites.
public enum RGBJitter {
    public struct Factors: Sendable, Equatable {
        public var brightness: Float
        public var contrast: Float
        public var saturation: Float

        public init(brightness: Float = 1, contrast: Float = 1, saturation: Float = 1) {
            self.brightness = brightness
            self.contrast = contrast
            self.saturation = saturation
        }

        /// Each factor uniform in 1 ± its range.
        public static func random<Generator: RandomNumberGenerator>(
            brightness: Float, contrast: Float, saturation: Float, using generator: inout Generator
        ) -> Factors {
            func draw(_ range: Float) -> Float { 1 + Float.random(in: -range...range, using: &generator) }
            return Factors(brightness: draw(brightness), contrast: draw(contrast), saturation: draw(saturation))
        }
    }

    static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    /// Applies brightness, then contrast, then saturation, clamping to 0...255 after each
    /// (torchvision clamps after every adjustment too).
    public static func apply(_ image: RGBImage, _ factors: Factors) -> RGBImage {
        let count = image.width * image.height
        guard count > 0, factors != Factors() else { return image }
        var values = image.pixels.map { min(Float($0) * factors.brightness, 255) }
        var meanLuma: Float = 0
        for index in 0..<count {
            meanLuma += luma(values[index * 3], values[index * 3 + 1], values[index * 3 + 2])
        }
        meanLuma /= Float(count)
        for index in values.indices {
            values[index] = min(max((values[index] - meanLuma) * factors.contrast + meanLuma, 0), 255)
        }
        for index in 0..<count {
            let gray = luma(values[index * 3], values[index * 3 + 1], values[index * 3 + 2])
            for c in 0..<3 {
                let value = gray + (values[index * 3 + c] - gray) * factors.saturation
                values[index * 3 + c] = min(max(value, 0), 255)
            }
        }
        var result = image
        for index in values.indices { result.pixels[index] = UInt8(values[index].rounded()) }
        return result
    }
}
