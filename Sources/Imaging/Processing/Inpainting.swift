/// Telea's fast-marching inpainting (J. Graphics Tools 9(1), 2004): the masked region is
/// filled from its boundary inwards in order of arrival time T, each pixel from its known
/// neighbours within `radius`, each neighbour extrapolated along its image gradient and
/// weighted by direction (along ∇T), distance and level-set proximity.
public enum Inpainting {
    public static func telea(_ image: RGBImage, mask: Mask, radius: Int = 5) throws(ImagingError) -> RGBImage {
        guard image.width == mask.width, image.height == mask.height else {
            throw .sizeMismatch("inpainting mask is \(mask.width)×\(mask.height) but the image is \(image.width)×\(image.height)")
        }
        let filled = fill(image.pixels.map(Float.init), channels: 3, width: image.width, height: image.height,
                          mask: mask, radius: radius)
        return try RGBImage(width: image.width, height: image.height,
                            pixels: filled.map { UInt8(min(255, max(0, $0.rounded()))) })
    }

    public static func telea(_ plane: Plane, mask: Mask, radius: Int = 5) throws(ImagingError) -> Plane {
        guard plane.sameSize(as: mask) else {
            throw .sizeMismatch("inpainting mask is \(mask.width)×\(mask.height) but the plane is \(plane.width)×\(plane.height)")
        }
        return Plane(width: plane.width, height: plane.height,
                     uncheckedStorage: fill(plane.storage, channels: 1, width: plane.width, height: plane.height,
                                            mask: mask, radius: radius))
    }

    private static let known: UInt8 = 0, band: UInt8 = 1, inside: UInt8 = 2

    static func fill(_ input: [Float], channels: Int, width: Int, height: Int, mask: Mask, radius: Int) -> [Float] {
        precondition((1...4).contains(channels), "inpainting takes 1 to 4 channels")
        // One vector per pixel so every channel is handled by the same instructions.
        var values = [SIMD4<Float>](repeating: .zero, count: width * height)
        for index in 0..<(width * height) {
            for c in 0..<channels { values[index][c] = input[index * channels + c] }
        }
        let count = width * height
        var state = mask.storage.map { $0 ? inside : known }
        var arrival = mask.storage.map { $0 ? Float(1e6) : Float(0) }
        var queue = FloodQueue()
        // The narrow band starts as the known pixels that touch the region.
        for index in 0..<count where state[index] == known {
            let x = index % width, y = index / width
            let touches = (x > 0 && state[index - 1] == inside) || (x + 1 < width && state[index + 1] == inside)
                || (y > 0 && state[index - width] == inside) || (y + 1 < height && state[index + width] == inside)
            if touches {
                state[index] = band
                queue.push(value: 0, index: Int32(index))
            }
        }
        // The neighbourhood: offsets within the radius, with 1/|r|² and 1/|r|.
        var offsets: [(dx: Int, dy: Int, inverseSquared: Float, inverseLength: Float)] = []
        for dy in -radius...radius {
            for dx in -radius...radius where (dx != 0 || dy != 0) && dx * dx + dy * dy <= radius * radius {
                let squared = Float(dx * dx + dy * dy)
                offsets.append((dx, dy, 1 / squared, 1 / squared.squareRoot()))
            }
        }

        state.withUnsafeMutableBufferPointer { state in
            arrival.withUnsafeMutableBufferPointer { arrival in
                values.withUnsafeMutableBufferPointer { values in
                    // Arrival time from a neighbour along x and one along y: the upwind
                    // solution of |∇T| = 1.
                    func solve(_ a: Int, _ b: Int) -> Float {
                        let knownA = a >= 0 && state[a] != inside
                        let knownB = b >= 0 && state[b] != inside
                        if knownA && knownB {
                            let ta = arrival[a], tb = arrival[b]
                            let discriminant = 2 - (ta - tb) * (ta - tb)
                            if discriminant > 0 {
                                let root = discriminant.squareRoot()
                                var s = (ta + tb - root) / 2
                                if s >= ta && s >= tb { return s }
                                s += root
                                if s >= ta && s >= tb { return s }
                            }
                            return 1 + min(ta, tb)
                        }
                        if knownA { return 1 + arrival[a] }
                        if knownB { return 1 + arrival[b] }
                        return 1e6
                    }
                    // Finite difference of T at index along one axis; 0 when no side is known.
                    func slope(_ index: Int, forward: Int, backward: Int) -> Float {
                        let f = forward >= 0 && state[forward] != inside
                        let b = backward >= 0 && state[backward] != inside
                        if f && b { return (arrival[forward] - arrival[backward]) / 2 }
                        if f { return arrival[forward] - arrival[index] }
                        if b { return arrival[index] - arrival[backward] }
                        return 0
                    }

                    while let entry = queue.pop() {
                        let index = Int(entry.index)
                        state[index] = known
                        let x = index % width, y = index / width
                        for (dx, dy) in Connectivity.four.offsets {
                            let nx = x + dx, ny = y + dy
                            guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                            let n = ny * width + nx
                            guard state[n] == inside else { continue }
                            let left = nx > 0 ? n - 1 : -1, right = nx + 1 < width ? n + 1 : -1
                            let up = ny > 0 ? n - width : -1, down = ny + 1 < height ? n + width : -1
                            let time = min(min(solve(left, up), solve(right, up)), min(solve(left, down), solve(right, down)))
                            arrival[n] = time
                            let gradTX = slope(n, forward: right, backward: left)
                            let gradTY = slope(n, forward: down, backward: up)
                            var sums = SIMD4<Float>.zero, plainSums = SIMD4<Float>.zero
                            var totalWeight: Float = 0, plainWeight: Float = 0
                            for offset in offsets {
                                let qx = nx - offset.dx, qy = ny - offset.dy
                                guard qx >= 0, qy >= 0, qx < width, qy < height else { continue }
                                let q = qy * width + qx
                                guard state[q] != inside else { continue }
                                // r = n − q = (dx, dy)
                                let rx = Float(offset.dx), ry = Float(offset.dy)
                                let direction = max(abs(rx * gradTX + ry * gradTY) * offset.inverseLength, 1e-6)
                                let level = 1 / (1 + abs(arrival[q] - time))
                                let weight = direction * level * offset.inverseSquared
                                let hasRight = qx + 1 < width && state[q + 1] != inside
                                let hasLeft = qx > 0 && state[q - 1] != inside
                                let hasDown = qy + 1 < height && state[q + width] != inside
                                let hasUp = qy > 0 && state[q - width] != inside
                                // A neighbour whose gradient cannot be estimated (no known pixel
                                // on either side) only counts when no neighbour has one.
                                guard (hasRight || hasLeft) && (hasDown || hasUp) else {
                                    plainSums += weight * values[q]
                                    plainWeight += weight
                                    continue
                                }
                                let value = values[q]
                                let gx: SIMD4<Float> = hasRight && hasLeft ? (values[q + 1] - values[q - 1]) * 0.5
                                    : hasRight ? values[q + 1] - value : value - values[q - 1]
                                let gy: SIMD4<Float> = hasDown && hasUp ? (values[q + width] - values[q - width]) * 0.5
                                    : hasDown ? values[q + width] - value : value - values[q - width]
                                sums += weight * (value + gx * rx + gy * ry)
                                totalWeight += weight
                            }
                            if totalWeight > 0 {
                                values[n] = sums / totalWeight
                            } else if plainWeight > 0 {
                                values[n] = plainSums / plainWeight
                            }
                            state[n] = band
                            queue.push(value: time, index: Int32(n))
                        }
                    }
                }
            }
        }
        var output = input
        for index in 0..<(width * height) {
            for c in 0..<channels { output[index * channels + c] = values[index][c] }
        }
        return output
    }
}
