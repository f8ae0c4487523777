import Foundation
import Imaging

/// GeoJSON outlines → instance label maps: QuPath's "Export objects as GeoJSON" (a
/// FeatureCollection or a bare array of Features), or this project's own GeoJSON export.
/// Coordinates are pixels with the origin at the image's top-left corner, so pixel (x, y) is
/// the square [x, x+1] × [y, y+1] and is inside an outline when its centre is: outlines that
/// follow pixel edges, as the export writes them, come back pixel for pixel.
public enum GeoJSONImport {
    /// One nucleus: its polygons, each an exterior ring and the rings of its holes.
    public struct Outline: Sendable, Equatable {
        public var id: String
        public var polygons: [[[Point]]]
    }

    /// The outlines of a GeoJSON document, in document order, and the features that are none.
    /// A QuPath cell contributes its `nucleusGeometry`; with `className`, only features of that
    /// classification count (the others are neither outlines nor skipped).
    public static func outlines(in data: Data, className: String? = nil, path: String)
        throws(DatasetError) -> (outlines: [Outline], skipped: [SkippedRegion]) {
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            // Foundation keeps the position of a syntax error in the debug description.
            let detail = (error as NSError).userInfo["NSDebugDescription"] as? String ?? error.localizedDescription
            throw .invalidOutlines(path: path, format: "GeoJSON", detail: "not JSON (\(detail))")
        }
        let features: [Any]
        if let array = document as? [Any] {
            features = array
        } else if let object = document as? [String: Any] {
            switch object["type"] as? String {
            case "FeatureCollection":
                guard let list = object["features"] as? [Any] else {
                    throw .invalidOutlines(path: path, format: "GeoJSON", detail: "a FeatureCollection without a features array")
                }
                features = list
            case "Feature": features = [object]
            default:
                throw .invalidOutlines(path: path, format: "GeoJSON", detail: "expected a FeatureCollection, a Feature or an array of Features")
            }
        } else {
            throw .invalidOutlines(path: path, format: "GeoJSON", detail: "expected a FeatureCollection, a Feature or an array of Features")
        }
        var outlines: [Outline] = []
        var skipped: [SkippedRegion] = []
        for (index, element) in features.enumerated() {
            guard let feature = element as? [String: Any] else {
                skipped.append(SkippedRegion(index: index, id: "", reason: "not a Feature object"))
                continue
            }
            let id = identifier(feature["id"])
            if let className, Self.className(of: feature) != className { continue }
            guard let geometry = (feature["nucleusGeometry"] ?? feature["geometry"]) as? [String: Any] else {
                skipped.append(SkippedRegion(index: index, id: id, reason: "no geometry"))
                continue
            }
            switch polygons(of: geometry) {
            case let .success(polygons): outlines.append(Outline(id: id, polygons: polygons))
            case let .failure(reason): skipped.append(SkippedRegion(index: index, id: id, reason: reason.text))
            }
        }
        return (outlines, skipped)
    }

    /// Paints the outlines with labels 1...N in order; an outline that covers no pixel centre
    /// is skipped (and takes no label). `origin` is the image's top-left corner in the
    /// outlines' coordinates: QuPath writes whole-slide coordinates, so a tile exported from
    /// (x, y) of the slide needs origin (x, y).
    public static func rasterize(_ outlines: [Outline], skipped: [SkippedRegion] = [], width: Int, height: Int,
                                 origin: Point = Point(x: 0, y: 0), overlap: OverlapRule = .earlierWins) -> RasterizedAnnotations {
        var labels = LabelMap(width: width, height: height, repeating: 0)
        let unparsed = skipped.count
        var skipped = skipped
        var uncovered: [(index: Int, id: String)] = []
        var next: UInt32 = 1
        for (index, outline) in outlines.enumerated() {
            var pixels = Set<Int>()
            for rings in outline.polygons {
                var inside = Set<Int>()
                for (ringIndex, ring) in rings.enumerated() {
                    // Corner-origin coordinates to the rasteriser's centre-origin ones.
                    let shifted = ring.map { Point(x: $0.x - origin.x - 0.5, y: $0.y - origin.y - 0.5) }
                    PolygonRasterizer.forEachPixel(in: shifted, width: width, height: height) { x, y in
                        if ringIndex == 0 { inside.insert(y * width + x) } else { inside.remove(y * width + x) }
                    }
                }
                pixels.formUnion(inside)
            }
            guard !pixels.isEmpty else {
                uncovered.append((index, outline.id))
                continue
            }
            overlap.paint(pixels, label: next, into: &labels)
            next += 1
        }
        // When every outline lies off the image, the likely cause is the coordinates' origin.
        let hint = !uncovered.isEmpty && outlines.allSatisfy { outline in
            outline.polygons.allSatisfy { rings in (rings.first ?? []).allSatisfy { point in
                point.x - origin.x < 0 || point.y - origin.y < 0 || point.x - origin.x > Double(width) || point.y - origin.y > Double(height)
            } }
        } ? " (nor does any other: are the outlines in whole-slide coordinates? give the image's origin in them)" : ""
        skipped += uncovered.map { SkippedRegion(index: $0.index, id: $0.id, reason: "covers no pixel of the image" + hint) }
        return RasterizedAnnotations(labels: labels, regionCount: outlines.count + unparsed, skipped: skipped)
    }

    /// Imports every image of `images` that has `annotations/<name>.geojson` (or `.json`).
    public static func importFolder(images: URL, annotations: URL, output: URL, className: String? = nil,
                                    origin: Point = Point(x: 0, y: 0), overlap: OverlapRule = .earlierWins,
                                    progress: (String) -> Void = { _ in })
        throws(DatasetError) -> (imported: [ImportedImage], missing: [String]) {
        try AnnotationImport.importFolder(images: images, annotations: annotations, extensions: ["geojson", "json"],
                                          output: output, progress: progress) { file, width, height throws(DatasetError) in
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw .fileAccess(path: file.path, reason: "cannot read it")
            }
            let parsed = try outlines(in: data, className: className, path: file.path)
            return rasterize(parsed.outlines, skipped: parsed.skipped, width: width, height: height, origin: origin,
                             overlap: overlap)
        }
    }

    private struct Unusable: Error { var text: String }

    private static func polygons(of geometry: [String: Any]) -> Result<[[[Point]]], Unusable> {
        let type = geometry["type"] as? String ?? "?"
        let coordinates = geometry["coordinates"]
        let polygons: [Any]
        switch type {
        case "Polygon": polygons = [coordinates as Any]
        case "MultiPolygon":
            guard let list = coordinates as? [Any] else { return .failure(Unusable(text: "MultiPolygon without coordinates")) }
            polygons = list
        default:
            return .failure(Unusable(text: "a \(type) is not an outline"))
        }
        var result: [[[Point]]] = []
        for polygon in polygons {
            guard let rings = polygon as? [Any], !rings.isEmpty else {
                return .failure(Unusable(text: "\(type) without rings"))
            }
            var parsed: [[Point]] = []
            for ring in rings {
                guard let positions = ring as? [Any] else { return .failure(Unusable(text: "a ring is not a list of positions")) }
                var points: [Point] = []
                for position in positions {
                    guard let pair = position as? [Any], pair.count >= 2,
                          let x = JSONNumbers.double(pair[0]), let y = JSONNumbers.double(pair[1]) else {
                        return .failure(Unusable(text: "a position is not [x, y]"))
                    }
                    points.append(Point(x: x, y: y))
                }
                guard Set(points).count >= 3 else {
                    return .failure(Unusable(text: "degenerate: a ring with \(Set(points).count) distinct vertices"))
                }
                parsed.append(points)
            }
            result.append(parsed)
        }
        return .success(result)
    }

    private static func identifier(_ value: Any?) -> String {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: ""
        }
    }

    /// QuPath writes `classification` as {"name": ...}; older exports and other tools as a string.
    private static func className(of feature: [String: Any]) -> String? {
        guard let properties = feature["properties"] as? [String: Any] else { return nil }
        if let classification = properties["classification"] as? [String: Any] { return classification["name"] as? String }
        return properties["classification"] as? String
    }
}
