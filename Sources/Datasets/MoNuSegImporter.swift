import Foundation
import Imaging

/// A region that was not rasterised, and why.
public struct SkippedRegion: Sendable, Equatable, CustomStringConvertible {
    /// Position in the file, 0-based.
    public var index: Int
    public var id: String
    public var reason: String

    public var description: String { "region #\(index) (Id \(id)): \(reason)" }
}

/// The result of turning one annotation file into a label map.
public struct RasterizedAnnotations: Sendable {
    public var labels: LabelMap
    public var regionCount: Int
    public var skipped: [SkippedRegion]
}

/// Which region keeps a pixel that two regions cover.
public enum OverlapRule: String, Sendable, CaseIterable {
    /// The earlier region in the file keeps it: the published per-nucleus training masks
    /// (MoNuSeg's own lineage, which never overlap) follow this rule.
    case earlierWins = "earlier"
    /// The later region overwrites it: painting in file order, as ../shared's test maps were made.
    case laterWins = "later"

    /// Paints `label` on `pixels` (indices into `labels`), over earlier labels or not by the rule.
    func paint(_ pixels: some Sequence<Int>, label: UInt32, into labels: inout LabelMap) {
        for pixel in pixels where self == .laterWins || labels.storage[pixel] == 0 { labels.storage[pixel] = label }
    }
}

/// MoNuSeg import: Aperio XML polygons → uint16 instance label maps, the way the
/// organisers' MATLAB code does it (poly2mask on the 1-based vertices, i.e. pixel centres
/// at integer coordinates after subtracting 1), ids 1...N in file order.
public enum MoNuSeg {
    /// Regions covering fewer pixels are skipped as degenerate (MoNuSeg has regions of 2
    /// vertices and of a single pixel; the published masks leave them out).
    public static let minimumRegionPixels = 2

    public static func rasterize(_ regions: [AperioXML.Region], width: Int, height: Int,
                                 overlap: OverlapRule = .earlierWins) -> RasterizedAnnotations {
        var labels = LabelMap(width: width, height: height, repeating: 0)
        var skipped: [SkippedRegion] = []
        var next: UInt32 = 1
        for (index, region) in regions.enumerated() {
            let distinct = Set(region.vertices).count
            guard distinct >= 3 else {
                skipped.append(SkippedRegion(index: index, id: region.id, reason: "degenerate: \(distinct) distinct vertices"))
                continue
            }
            let polygon = region.vertices.map { Point(x: $0.x - 1, y: $0.y - 1) }
            var pixels: [Int] = []
            PolygonRasterizer.forEachPixel(in: polygon, width: width, height: height) { x, y in pixels.append(y * width + x) }
            guard pixels.count >= minimumRegionPixels else {
                skipped.append(SkippedRegion(index: index, id: region.id,
                                             reason: "degenerate: covers \(pixels.count) pixel(s)"))
                continue
            }
            overlap.paint(pixels, label: next, into: &labels)
            next += 1
        }
        return RasterizedAnnotations(labels: labels, regionCount: regions.count, skipped: skipped)
    }

    /// Imports every image of `images` that has `annotations/<name>.xml` (see
    /// `AnnotationImport.importFolder`).
    public static func importFolder(images: URL, annotations: URL, output: URL, overlap: OverlapRule = .earlierWins,
                                    progress: (String) -> Void = { _ in })
        throws(DatasetError) -> (imported: [ImportedImage], missing: [String]) {
        try AnnotationImport.importFolder(images: images, annotations: annotations, extensions: ["xml"],
                                          output: output, progress: progress) { file, width, height throws(DatasetError) in
            rasterize(try AperioXML.regions(in: file), width: width, height: height, overlap: overlap)
        }
    }
}
