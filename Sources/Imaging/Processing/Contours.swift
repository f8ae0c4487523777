/// Outlines of instances as polygons on the pixel-corner grid: pixel (x, y) is the square
/// [x, x+1] × [y, y+1], so the polygon encloses exactly the instance's pixels and is
/// what QuPath and GeoJSON consumers expect.
public enum Contours {
    /// The outer ring of every 4-connected component of each label, clockwise on screen,
    /// closed (first vertex repeated last), with collinear vertices removed.
    public static func outerRings(_ labels: LabelMap) -> [UInt32: [[Point]]] {
        polygons(labels, holes: false).mapValues { $0.map { $0[0] } }
    }

    /// Every 4-connected component of each label as a polygon: its outer ring (clockwise on
    /// screen) followed by the rings of its holes (counter-clockwise), the orientation GeoJSON
    /// asks for. A hole is what the outer ring encloses that is not the component — background
    /// or another nucleus inside it — so filling the outer ring and emptying the holes, pixel
    /// centre by pixel centre, gives back exactly the component.
    public static func polygons(_ labels: LabelMap, holes: Bool = true) -> [UInt32: [[[Point]]]] {
        let width = labels.width, height = labels.height
        var polygons: [UInt32: [[[Point]]]] = [:]
        var visited = [Bool](repeating: false, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                let label = labels.storage[index]
                guard label != 0, !visited[index] else { continue }
                // (x, y) is the first pixel of a new component in raster order, so its top
                // edge is on the outer boundary.
                let outer = trace(labels, label: label, startX: x, startY: y)
                let component = markComponent(labels, label: label, from: index, visited: &visited)
                polygons[label, default: []].append([outer] + (holes ? holeRings(of: component, width: width) : []))
            }
        }
        return polygons
    }

    /// The rings around what a component encloses: in its bounding box grown by a pixel, the
    /// pixels outside it that the border cannot reach. Reaching goes 8-connected, as the outer
    /// ring passes through a corner where two of the component's pixels touch diagonally.
    static func holeRings(of component: [Int], width: Int) -> [[Point]] {
        var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
        for index in component {
            minX = min(minX, index % width); maxX = max(maxX, index % width)
            minY = min(minY, index / width); maxY = max(maxY, index / width)
        }
        // A component spanning fewer than 3 pixels either way encloses nothing.
        guard maxX - minX >= 2, maxY - minY >= 2 else { return [] }
        let boxWidth = maxX - minX + 3, boxHeight = maxY - minY + 3
        var member = [Bool](repeating: false, count: boxWidth * boxHeight)
        for index in component { member[(index / width - minY + 1) * boxWidth + index % width - minX + 1] = true }
        var reached = [Bool](repeating: false, count: boxWidth * boxHeight)
        var stack = [0]
        reached[0] = true
        while let index = stack.popLast() {
            let x = index % boxWidth, y = index / boxWidth
            for (dx, dy) in Connectivity.eight.offsets {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < boxWidth, ny < boxHeight else { continue }
                let neighbour = ny * boxWidth + nx
                if !member[neighbour] && !reached[neighbour] {
                    reached[neighbour] = true
                    stack.append(neighbour)
                }
            }
        }
        var enclosed = LabelMap(width: boxWidth, height: boxHeight, repeating: 0)
        var any = false
        for index in member.indices where !member[index] && !reached[index] {
            enclosed.storage[index] = 1
            any = true
        }
        guard any else { return [] }
        // Each 4-connected piece of what is enclosed is one hole; its ring, walked the other way.
        return polygons(enclosed, holes: false)[1, default: []].map { rings in
            rings[0].reversed().map { Point(x: $0.x + Double(minX - 1), y: $0.y + Double(minY - 1)) }
        }
    }

    /// Follows the boundary keeping the instance on the right, turning at each corner by
    /// the two pixels ahead (diagonal contacts count as separate, as in 4-connectivity).
    static func trace(_ labels: LabelMap, label: UInt32, startX: Int, startY: Int) -> [Point] {
        func inside(_ x: Int, _ y: Int) -> Bool {
            x >= 0 && y >= 0 && x < labels.width && y < labels.height && labels.storage[y * labels.width + x] == label
        }
        // Directions: 0 east, 1 south, 2 west, 3 north (y down).
        let steps = [(1, 0), (0, 1), (-1, 0), (0, -1)]
        var cx = startX, cy = startY, direction = 0
        var vertices = [Point(x: Double(cx), y: Double(cy))]
        repeat {
            cx += steps[direction].0
            cy += steps[direction].1
            // Pixels ahead-left and ahead-right of the corner just reached.
            let (aheadLeft, aheadRight): (Bool, Bool) = switch direction {
            case 0: (inside(cx, cy - 1), inside(cx, cy))
            case 1: (inside(cx, cy), inside(cx - 1, cy))
            case 2: (inside(cx - 1, cy), inside(cx - 1, cy - 1))
            default: (inside(cx - 1, cy - 1), inside(cx, cy - 1))
            }
            let turn: Int
            if aheadLeft && aheadRight { turn = 3 } else if aheadRight { turn = 0 } else { turn = 1 }
            if turn != 0 {
                vertices.append(Point(x: Double(cx), y: Double(cy)))
                direction = (direction + turn) % 4
            }
        } while !(cx == startX && cy == startY && direction == 0)
        if vertices.last != vertices.first { vertices.append(vertices[0]) }
        return vertices
    }

    /// Marks the 4-connected component of `start` visited and returns its pixels.
    private static func markComponent(_ labels: LabelMap, label: UInt32, from start: Int, visited: inout [Bool]) -> [Int] {
        let width = labels.width, height = labels.height
        var stack = [start]
        var pixels: [Int] = []
        visited[start] = true
        while let index = stack.popLast() {
            pixels.append(index)
            let x = index % width, y = index / width
            for (dx, dy) in Connectivity.four.offsets {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                let neighbour = ny * width + nx
                if !visited[neighbour] && labels.storage[neighbour] == label {
                    visited[neighbour] = true
                    stack.append(neighbour)
                }
            }
        }
        return pixels
    }

    /// Pixels of an instance that touch another label or the background (4-neighbours).
    public static func boundary(_ labels: LabelMap) -> Mask {
        let width = labels.width, height = labels.height
        var mask = Mask(width: width, height: height, repeating: false)
        for y in 0..<height {
            for x in 0..<width {
                let label = labels.storage[y * width + x]
                guard label != 0 else { continue }
                for (dx, dy) in Connectivity.four.offsets {
                    let nx = x + dx, ny = y + dy
                    if nx < 0 || ny < 0 || nx >= width || ny >= height || labels.storage[ny * width + nx] != label {
                        mask.storage[y * width + x] = true
                        break
                    }
                }
            }
        }
        return mask
    }
}
