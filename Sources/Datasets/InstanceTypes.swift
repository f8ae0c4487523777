import Foundation
import Imaging

/// Nuclear types of a folder dataset: `type_maps/<name>.png` beside `instance_masks/`, a
/// per-pixel class map (0 = background, 1…K−1 the types), as hover_net's datasets carry
/// them. A nucleus takes the type most of its pixels have, so a type map drawn a little
/// off the instance outlines still gives one type per nucleus.
extension FolderDataset {
    public var typeFolder: URL { root.appendingPathComponent("type_maps") }

    /// Whether the dataset has a `type_maps/` folder.
    public var hasTypeMaps: Bool { FileManager.default.fileExists(atPath: typeFolder.path) }

    /// The type of each nucleus of `labels` (the sample's label map) from its type map.
    /// Every sample of a dataset with type maps must have one of the same size.
    public func instanceTypes(_ sample: Sample, labels: LabelMap) throws(DatasetError) -> [UInt32: UInt8] {
        let url = typeFolder.appendingPathComponent(sample.name + ".png")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingMask(image: sample.image.lastPathComponent, folder: typeFolder.path)
        }
        let types = try Self.readLabelMap(url, width: labels.width, height: labels.height, name: sample.name + " (type map)")
        if let bad = types.storage.first(where: { $0 > UInt32(UInt8.max) }) {
            throw .invalidArgument("\(url.path): type \(bad) is over 255")
        }
        return InstanceTypes.majority(labels: labels, types: types)
    }
}

/// One type per nucleus from a per-pixel class map.
public enum InstanceTypes {
    /// Per instance, the most frequent non-background class among its pixels (ties to the
    /// smaller class), 0 only when all its pixels are background — hover_net's rule, which
    /// also names predicted nuclei from a per-pixel type map.
    public static func majority<T: FixedWidthInteger & Sendable>(labels: LabelMap, types: Grid<T>) -> [UInt32: UInt8] {
        var counts: [UInt32: [Int]] = [:]
        for index in 0..<labels.count {
            let id = labels.storage[index]
            guard id != 0 else { continue }
            let type = Int(types.storage[index])
            var row = counts[id] ?? [0]
            if row.count <= type { row += Array(repeating: 0, count: type + 1 - row.count) }
            row[type] += 1
            counts[id] = row
        }
        return counts.mapValues { row in
            var best = 0
            for type in row.indices.dropFirst() where row[type] > 0 && (best == 0 || row[type] > row[best]) { best = type }
            return UInt8(clamping: best)
        }
    }
}
