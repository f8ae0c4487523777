/// Fills background regions that do not reach the image border (scipy's
/// binary_fill_holes: the background is flooded from the border with 4-connectivity).
public enum HoleFilling {
    public static func fill(_ mask: Mask) -> Mask {
        let width = mask.width, height = mask.height
        guard width > 0, height > 0 else { return mask }
        var outside = [Bool](repeating: false, count: width * height)
        var stack: [Int] = []
        func seed(_ index: Int) {
            if !mask.storage[index] && !outside[index] {
                outside[index] = true
                stack.append(index)
            }
        }
        for x in 0..<width { seed(x); seed((height - 1) * width + x) }
        for y in 0..<height { seed(y * width); seed(y * width + width - 1) }
        while let index = stack.popLast() {
            let x = index % width, y = index / width
            if x > 0 { seed(index - 1) }
            if x + 1 < width { seed(index + 1) }
            if y > 0 { seed(index - width) }
            if y + 1 < height { seed(index + width) }
        }
        return Mask(width: width, height: height, uncheckedStorage: outside.map { !$0 })
    }

    /// Fills the holes of every instance separately, keeping other instances intact.
    public static func fill(_ labels: LabelMap) -> LabelMap {
        let width = labels.width, height = labels.height
        guard width > 0, height > 0 else { return labels }
        // A background pixel that cannot reach the border without crossing exactly one
        // label belongs to that label: flood the background from the border, then give
        // each unreached background region the label of its surrounding pixels.
        let background = Mask(width: width, height: height, uncheckedStorage: labels.storage.map { $0 == 0 })
        let regions = ConnectedComponents.label(background, connectivity: .four)
        var touchesBorder = [Bool](repeating: false, count: Int(regions.maxLabel) + 1)
        for x in 0..<width { touchesBorder[Int(regions[x, 0])] = true; touchesBorder[Int(regions[x, height - 1])] = true }
        for y in 0..<height { touchesBorder[Int(regions[0, y])] = true; touchesBorder[Int(regions[width - 1, y])] = true }
        // The single label around each enclosed region, or 0 when several labels touch it.
        var surrounding = [UInt32?](repeating: nil, count: touchesBorder.count)
        var ambiguous = [Bool](repeating: false, count: touchesBorder.count)
        for y in 0..<height {
            for x in 0..<width {
                let region = Int(regions[x, y])
                guard region != 0, !touchesBorder[region] else { continue }
                for (dx, dy) in Connectivity.four.offsets {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                    let neighbour = labels[nx, ny]
                    guard neighbour != 0 else { continue }
                    if let known = surrounding[region], known != neighbour { ambiguous[region] = true }
                    surrounding[region] = neighbour
                }
            }
        }
        var out = labels
        for index in out.storage.indices {
            let region = Int(regions.storage[index])
            if region != 0, !touchesBorder[region], !ambiguous[region], let label = surrounding[region] {
                out.storage[index] = label
            }
        }
        return out
    }
}
