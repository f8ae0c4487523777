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

    private enum State: UInt8 { case known, band, inside }

    static func fill(_ input: [Float], channels: Int, width: Int, height: Int, mask: Mask, radius: Int) -> [Float] {
        var values = input
        let count = width * height
        var state = mask.storage.map { $0 ? State.inside : State.known }
        var arrival = mask.storage.map { $0 ? Float(1e6) : Float(0) }
        var queue = FloodQueue()
        var order: Int64 = 0
        // The narrow band starts as the known pixels that touch the region.
        for index in 0..<count where state[index] == .known {
            let x = index % width, y = index / width
            let touches = (x > 0 && state[index - 1] == .inside) || (x + 1 < width && state[index + 1] == .inside)
                || (y > 0 && state[index - width] == .inside) || (y + 1 < height && state[index + width] == .inside)
            if touches {
                state[index] = .band
                order += 1
                queue.push(value: 0, age: order, index: Int32(index))
            }
        }
        let radiusSquared = radius * radius
        var gradient = [Float](repeating: 0, count: 2 * channels)
        var sums = [Float](repeating: 0, count: channels)
        var plainSums = [Float](repeating: 0, count: channels)

        // Arrival time of (x, y) from two neighbours a (along x) and b (along y): the upwind
        // solution of |∇T| = 1.
        func solve(_ a: Int?, _ b: Int?) -> Float {
            let knownA = a.map { state[$0] != .inside } ?? false
            let knownB = b.map { state[$0] != .inside } ?? false
            switch (knownA, knownB) {
            case (true, true):
                let ta = arrival[a!], tb = arrival[b!]
                let discriminant = 2 - (ta - tb) * (ta - tb)
                if discriminant > 0 {
                    let root = discriminant.squareRoot()
                    var s = (ta + tb - root) / 2
                    if s >= ta && s >= tb { return s }
                    s += root
                    if s >= ta && s >= tb { return s }
                }
                return 1 + min(ta, tb)
            case (true, false): return 1 + arrival[a!]
            case (false, true): return 1 + arrival[b!]
            case (false, false): return 1e6
            }
        }

        // One-sided or central difference of `field` at (x, y) from pixels that are not inside.
        func derivative(_ x: Int, _ y: Int, dx: Int, dy: Int, _ read: (Int) -> Float) -> Float? {
            let index = y * width + x
            let px = x + dx, py = y + dy, mx = x - dx, my = y - dy
            let forward = px < width && py < height && state[py * width + px] != .inside
            let backward = mx >= 0 && my >= 0 && state[my * width + mx] != .inside
            switch (forward, backward) {
            case (true, true): return (read(py * width + px) - read(my * width + mx)) / 2
            case (true, false): return read(py * width + px) - read(index)
            case (false, true): return read(index) - read(my * width + mx)
            case (false, false): return nil
            }
        }

        while let entry = queue.pop() {
            let index = Int(entry.index)
            state[index] = .known
            let x = index % width, y = index / width
            for (dx, dy) in Connectivity.four.offsets {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                let n = ny * width + nx
                guard state[n] == .inside else { continue }
                let left = nx > 0 ? n - 1 : nil, right = nx + 1 < width ? n + 1 : nil
                let up = ny > 0 ? n - width : nil, down = ny + 1 < height ? n + width : nil
                let time = min(min(solve(left, up), solve(right, up)), min(solve(left, down), solve(right, down)))
                arrival[n] = time
                // Inpaint n from the known pixels around it.
                let gradTX = derivative(nx, ny, dx: 1, dy: 0) { arrival[$0] } ?? 0
                let gradTY = derivative(nx, ny, dx: 0, dy: 1) { arrival[$0] } ?? 0
                for c in 0..<channels { sums[c] = 0; plainSums[c] = 0 }
                var totalWeight: Float = 0, plainWeight: Float = 0
                for qy in max(0, ny - radius)...min(height - 1, ny + radius) {
                    for qx in max(0, nx - radius)...min(width - 1, nx + radius) {
                        let q = qy * width + qx
                        guard state[q] != .inside else { continue }
                        let rx = Float(nx - qx), ry = Float(ny - qy)
                        let distanceSquared = rx * rx + ry * ry
                        guard distanceSquared > 0, Int(distanceSquared) <= radiusSquared else { continue }
                        let length = distanceSquared.squareRoot()
                        let direction = max(abs(rx * gradTX + ry * gradTY) / length, 1e-6)
                        let level = 1 / (1 + abs(arrival[q] - time))
                        let weight = direction * level / distanceSquared
                        // A neighbour whose gradient cannot be estimated (no known pixel on
                        // either side) only counts when no neighbour has one.
                        var extrapolates = true
                        for c in 0..<channels {
                            guard let gx = derivative(qx, qy, dx: 1, dy: 0, { values[$0 * channels + c] }),
                                  let gy = derivative(qx, qy, dx: 0, dy: 1, { values[$0 * channels + c] }) else {
                                extrapolates = false
                                break
                            }
                            gradient[2 * c] = gx
                            gradient[2 * c + 1] = gy
                        }
                        if extrapolates {
                            for c in 0..<channels {
                                sums[c] += weight * (values[q * channels + c] + gradient[2 * c] * rx + gradient[2 * c + 1] * ry)
                            }
                            totalWeight += weight
                        } else {
                            for c in 0..<channels { plainSums[c] += weight * values[q * channels + c] }
                            plainWeight += weight
                        }
                    }
                }
                if totalWeight > 0 {
                    for c in 0..<channels { values[n * channels + c] = sums[c] / totalWeight }
                } else if plainWeight > 0 {
                    for c in 0..<channels { values[n * channels + c] = plainSums[c] / plainWeight }
                }
                state[n] = .band
                order += 1
                queue.push(value: time, age: order, index: Int32(n))
            }
        }
        return values
    }
}
