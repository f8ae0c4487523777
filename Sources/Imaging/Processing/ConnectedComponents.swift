/// Connected-component labelling and size filtering.
public enum ConnectedComponents {
    /// Labels the foreground components 1...N in raster order of their first pixel
    /// (the numbering of skimage.measure.label).
    public static func label(_ mask: Mask, connectivity: Connectivity = .eight) -> LabelMap {
        let width = mask.width, height = mask.height
        var provisional = [Int32](repeating: 0, count: width * height)
        var parent: [Int32] = [0]
        func find(_ label: Int32) -> Int32 {
            var root = label
            while parent[Int(root)] != root { root = parent[Int(root)] }
            var node = label
            while parent[Int(node)] != root {
                let next = parent[Int(node)]
                parent[Int(node)] = root
                node = next
            }
            return root
        }
        func union(_ a: Int32, _ b: Int32) -> Int32 {
            let ra = find(a), rb = find(b)
            if ra == rb { return ra }
            // The smaller root wins so that roots are the earliest labels.
            let (low, high) = ra < rb ? (ra, rb) : (rb, ra)
            parent[Int(high)] = low
            return low
        }
        // Neighbours already visited in raster order.
        let previous: [(dx: Int, dy: Int)] = connectivity == .four
            ? [(-1, 0), (0, -1)] : [(-1, 0), (-1, -1), (0, -1), (1, -1)]
        mask.storage.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width where pixels[y * width + x] {
                    var current: Int32 = 0
                    for (dx, dy) in previous {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width else { continue }
                        let neighbour = provisional[ny * width + nx]
                        guard neighbour != 0 else { continue }
                        current = current == 0 ? find(neighbour) : union(current, neighbour)
                    }
                    if current == 0 {
                        current = Int32(parent.count)
                        parent.append(current)
                    }
                    provisional[y * width + x] = current
                }
            }
        }
        // Final numbers in order of first appearance.
        var final = [UInt32](repeating: 0, count: parent.count)
        var next: UInt32 = 1
        var out = LabelMap(width: width, height: height, repeating: 0)
        for index in 0..<(width * height) where provisional[index] != 0 {
            let root = Int(find(provisional[index]))
            if final[root] == 0 {
                final[root] = next
                next += 1
            }
            out.storage[index] = final[root]
        }
        return out
    }

    /// Drops foreground components with fewer than `minimumArea` pixels
    /// (skimage.morphology.remove_small_objects).
    public static func removeSmall(_ mask: Mask, minimumArea: Int, connectivity: Connectivity = .eight) -> Mask {
        let labels = label(mask, connectivity: connectivity)
        let areas = labels.areas()
        return labels.map { $0 != 0 && areas[Int($0)] >= minimumArea }
    }

    /// Sets to 0 every instance with fewer than `minimumArea` pixels; other ids are kept.
    public static func removeSmall(_ labels: LabelMap, minimumArea: Int) -> LabelMap {
        let areas = labels.areas()
        return labels.map { $0 != 0 && areas[Int($0)] >= minimumArea ? $0 : 0 }
    }
}
