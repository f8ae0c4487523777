import Datasets
import Foundation
import Imaging
import Interactive
import TestSupport

/// A `size × size` mask holding one filled square of `side` pixels at (x0, y0).
func square(_ x0: Int, _ y0: Int, side: Int, in size: Int) -> Mask {
    var mask = Mask(width: size, height: size, repeating: false)
    for y in y0..<(y0 + side) { for x in x0..<(x0 + side) { mask[x, y] = true } }
    return mask
}

/// A network small enough for debug-build tests.
func tinyConfiguration() -> InteractiveModelConfiguration {
    var configuration = InteractiveModelConfiguration()
    configuration.inputSize = 32
    configuration.highChannels = 6
    configuration.lowChannels = 8
    configuration.headChannels = 6
    configuration.stages = 1
    configuration.clickRadius = 2
    configuration.detailChannels = 4
    return configuration
}

/// Dark disks ("nuclei") on a light background, with their label map.
func syntheticPair(size: Int = 64, centres: [(Int, Int, Int)]) throws -> LabeledImage {
    var image = RGBImage(width: size, height: size, fill: (230, 200, 220))
    var labels = LabelMap(width: size, height: size, repeating: 0)
    for (index, (cx, cy, r)) in centres.enumerated() {
        for y in 0..<size {
            for x in 0..<size where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                labels[x, y] = UInt32(index + 1)
                let p = (y * size + x) * 3
                image.pixels[p] = 90; image.pixels[p + 1] = 40; image.pixels[p + 2] = 140
            }
        }
    }
    return try LabeledImage(image: image, labels: labels)
}

func syntheticDataset() throws -> FolderDataset {
    let root = TestPaths.temporaryDirectory("interactive-data")
    try FolderDataset.write(syntheticPair(centres: [(16, 16, 7), (44, 40, 9)]), name: "a", to: root)
    try FolderDataset.write(syntheticPair(centres: [(30, 20, 6), (20, 48, 8), (50, 14, 5)]), name: "b", to: root)
    return try FolderDataset(root: root)
}
