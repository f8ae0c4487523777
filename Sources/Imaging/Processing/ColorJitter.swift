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
