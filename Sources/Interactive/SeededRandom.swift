import Randomness

/// The project's seeded generator under the name this module's code uses.
typealias SeededRandom = SplitMix64
