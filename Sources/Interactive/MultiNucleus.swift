import Foundation
import Imaging
import Learning

extension InteractivePredictor {
    /// NuClick-style multi-nucleus mode: one positive click per nucleus → an instance map
    /// (id i+1 for point i). Each nucleus is predicted in its own window around its click
    /// with every other point in that window as a negative click, all windows in one
    /// batched forward; a pixel claimed by several nuclei goes to the most probable one.
    public func segmentPoints(image: RGBImage, points: [(x: Int, y: Int)], batchSize: Int = 32) throws(InteractiveError) -> LabelMap {
        for point in points where point.x < 0 || point.y < 0 || point.x >= image.width || point.y >= image.height {
            throw .clickOutsideImage(x: point.x, y: point.y, width: image.width, height: image.height)
        }
        var labels = LabelMap(width: image.width, height: image.height, repeating: 0)
        var best = Plane(width: image.width, height: image.height, repeating: options.threshold)
        var start = 0
        while start < points.count {
            let chunk = Array(start..<min(points.count, start + max(1, batchSize)))
            let windows = chunk.map { i in
                ZoomWindow.centred(x: Double(points[i].x), y: Double(points[i].y), size: options.firstClickWindow, outputSize: inputSize)
            }
            var images: [[Float]] = [], guidance: [[Float]] = []
            for (k, i) in chunk.enumerated() {
                let window = windows[k]
                var netPoints: [(u: Double, v: Double, positive: Bool)] = []
                for (j, point) in points.enumerated() where j == i || window.contains(x: point.x, y: point.y) {
                    let p = window.toNetwork(x: Double(point.x), y: Double(point.y))
                    netPoints.append((p.u, p.v, j == i))
                }
                images.append(input.image(image, window: window))
                guidance.append(input.guidance(points: netPoints, previous: nil))
            }
            let logits = try engine { () throws(LearningError) in
                try Autograd.noGrad { () throws(LearningError) in
                    let crops = input.batch(images, channels: 3)
                    let features = try network.imageFeatures(crops)
                    return try network.head(network.backbone(imageFeatures: features, guidance: input.batch(guidance, channels: 3)),
                                            detail: network.detailFeatures(crops))
                }
            }
            let plane = inputSize * inputSize
            for (k, i) in chunk.enumerated() {
                let window = windows[k]
                let probabilities = (0..<plane).map { 1 / (1 + Foundation.exp(-logits.data[k * plane + $0])) }
                let clip = window.clipped(width: image.width, height: image.height)
                probabilities.withUnsafeBufferPointer { buffer in
                    for py in clip.y0..<clip.y1 {
                        for px in clip.x0..<clip.x1 {
                            let p = window.readBack(buffer, x: px, y: py)
                            if p > best[px, py] {
                                best[px, py] = p
                                labels[px, py] = UInt32(i + 1)
                            }
                        }
                    }
                }
            }
            start += chunk.count
        }
        return labels
    }
}
