/// SplitMix64: the project's one seeded generator. Weights, crops, augmentations, click
/// samples and synthetic pairs depend on their seed alone, never on the platform's system
/// generator, so runs repeat exactly across machines.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for item `index` of a run seeded with `seed`: items are independent of
    /// each other, so (say) synthetic pair 7 is the same whether or not pairs 0–6 were made.
    public static func forItem(_ index: Int, of seed: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}
