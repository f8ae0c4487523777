/// Chooses the next crops to annotate from scored candidates: by uncertainty (active
/// learning) or at random, never a crop already annotated, and at most one crop per image
/// per cycle so that one hard image does not take the whole budget (diversity).
public enum CropSelector {
    public static func choose<G: RandomNumberGenerator>(
        _ candidates: [CropChoice], count: Int, selection: CropSelection,
        excluding annotated: Set<CropChoice>, using generator: inout G
    ) -> [CropChoice] {
        let annotatedKeys = Set(annotated.map(Key.init))
        var pool = candidates.filter { !annotatedKeys.contains(Key($0)) }
        switch selection {
        case .activeLearning:
            pool.sort { ($0.score, $1.image, $1.y, $1.x) > ($1.score, $0.image, $0.y, $0.x) }
        case .random:
            pool.shuffle(using: &generator)
        }
        var chosen: [CropChoice] = []
        var images = Set<String>()
        for candidate in pool where chosen.count < count && !images.contains(candidate.image) {
            chosen.append(candidate)
            images.insert(candidate.image)
        }
        // Fewer images than crops wanted: fill from the rest in the same order.
        for candidate in pool where chosen.count < count && !chosen.contains(candidate) {
            chosen.append(candidate)
        }
        return chosen
    }

    /// Candidate crops on a grid over an image (the last row/column flush with the border).
    public static func grid(image: String, width: Int, height: Int, size: Int) -> [CropChoice] {
        guard width >= size, height >= size else { return [] }
        func starts(_ extent: Int) -> [Int] {
            var values = Array(stride(from: 0, through: extent - size, by: size))
            if let last = values.last, last != extent - size { values.append(extent - size) }
            return values
        }
        return starts(height).flatMap { y in starts(width).map { x in CropChoice(image: image, x: x, y: y, size: size, score: 0) } }
    }

    private struct Key: Hashable {
        let image: String, x: Int, y: Int, size: Int
        init(_ crop: CropChoice) {
            image = crop.image
            x = crop.x
            y = crop.y
            size = crop.size
        }
    }
}
