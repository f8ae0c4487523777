/// The architecture of a HoVerNet model: what must match between a model file and the code
/// that loads it. Defaults are the CPU reference of DESIGN.md (≈1.6 M parameters,
/// ≈17 GFLOP per 256×256 patch) so it trains on 2 cores; widen `widths` or add levels on a
/// bigger machine.
public struct HoVerNetConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Encoder channels per level; each level after the first starts with a 2×2 max-pool,
    /// so inputs must be multiples of 2^(levels − 1) (inference pads to that).
    public var widths: [Int] = [32, 64, 128, 256]
    /// 3×3 conv + BN + ReLU layers per encoder level.
    public var encoderConvs: Int = 2
    /// 3×3 conv + BN + ReLU layers per decoder level (after the skip concat).
    public var decoderConvs: Int = 1
    /// Channels of the 3×3 conv that opens each head (NP, HV, NC).
    public var headWidth: Int = 32
    /// Nuclear type classes of the optional NC head (0 = no NC head).
    public var typeClasses: Int = 0

    public init(widths: [Int] = [32, 64, 128, 256], encoderConvs: Int = 2, decoderConvs: Int = 1,
                headWidth: Int = 32, typeClasses: Int = 0) {
        self.widths = widths
        self.encoderConvs = encoderConvs
        self.decoderConvs = decoderConvs
        self.headWidth = headWidth
        self.typeClasses = typeClasses
    }

    /// Input sides must be multiples of this.
    public var sizeMultiple: Int { 1 << max(widths.count - 1, 0) }

    public func validate() throws(HoVerNetError) {
        guard !widths.isEmpty, widths.count <= 8, widths.allSatisfy({ $0 > 0 && $0 <= 4096 }) else {
            throw .invalidConfiguration("widths \(widths) must be 1–8 positive channel counts")
        }
        guard encoderConvs >= 1, decoderConvs >= 1, headWidth > 0, typeClasses >= 0, typeClasses != 1 else {
            throw .invalidConfiguration("encoderConvs and decoderConvs ≥ 1, headWidth > 0, typeClasses 0 or ≥ 2")
        }
    }

    /// A one-line canonical form, stored in model files and compared on load.
    public var architectureString: String {
        "hovernet-unet widths=\(widths.map(String.init).joined(separator: ",")) enc=\(encoderConvs) dec=\(decoderConvs) "
            + "head=\(headWidth) types=\(typeClasses)"
    }
}
