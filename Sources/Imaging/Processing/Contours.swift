/// Outlines of instances as polygons on the pixel-corner grid: pixel (x, y) is the square
/// [x, x+1] × [y, y+1], so the polygon encloses exactly the instance's pixels and is
/// what QuPath and GeoJSON consumers expect.
public enum Contours {
    /// The outer ring of every 4-connected component of each label, clockwise on screen,
    /// closed (first vertex repeated last), with collinear vertices removed.
    public static func outerRings(_ labels: LabelMap) -> [UInt32: [[Point]]] {
        let width = labels.width, height = labels.height
        var rings: [UInt32: [[Point]]] = [:]
        var visited = [Bool](repeating: false, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                let label = labels.storage[index]
                guard label != 0, !visited[index] else { continue }
                // (x, y) is the first pixel of a new component in raster order, so its top
                // edge is on the outer boundary.
                rings[label, default: []].append(trace(labels, label: label, startX: x, startY: y))
                markComponent(labels, label: label, from: index, visited: &visited)
            }
        }
        return rings
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

    private static func markComponent(_ labels: LabelMap, label: UInt32, from start: Int, visited: inout [Bool]) {
        let width = labels.width, height = labels.height
        var stack = [start]
        visited[start] = true
        while let index = stack.popLast() {
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
