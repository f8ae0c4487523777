import Imaging

/// A nucleus's outline moved by a pixel or two — grown, shrunk or shifted: the training
/// targets' stand-in for an annotator's hand, which strays about that far from the stain
/// (see `InteractiveTrainingOptions.targetOutlineJitter`).
enum OutlinePerturbation {
    static func random<G: RandomNumberGenerator>(_ truth: Mask, upTo maximum: Int = 2, using generator: inout G) -> Mask {
        let amount = Int.random(in: 1...maximum, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0:
            return Morphology.dilate(truth, .disk(radius: amount))
        case 1:
            let shrunk = Morphology.erode(truth, .disk(radius: amount))
            return shrunk.storage.contains(true) ? shrunk : Morphology.dilate(truth, .disk(radius: amount))
        default:
            var dx = 0, dy = 0
            while dx == 0 && dy == 0 {
                dx = Int.random(in: -amount...amount, using: &generator)
                dy = Int.random(in: -amount...amount, using: &generator)
            }
            return shifted(truth, dx: dx, dy: dy)
        }
    }

    /// `mask` moved by (dx, dy); pixels moved in from outside are background.
    static func shifted(_ mask: Mask, dx: Int, dy: Int) -> Mask {
        var out = Mask(width: mask.width, height: mask.height, repeating: false)
        for y in 0..<mask.height {
            let sy = y - dy
            guard sy >= 0 && sy < mask.height else { continue }
            for x in 0..<mask.width {
                let sx = x - dx
                if sx >= 0 && sx < mask.width && mask[sx, sy] { out[x, y] = true }
            }
        }
        return out
    }
}
