import Foundation
import Imaging

/// COCO instance-segmentation JSON → instance label maps: masks as pycocotools writes them
/// (RLE with counts as a list or as its compressed string) or as polygons, one label per
/// annotation in file order. Crowd annotations (`iscrowd` 1) cover many objects, not one, and
/// are skipped. Polygon coordinates have the origin at the image's top-left corner, so a
/// pixel belongs to a polygon when its centre is inside.
public enum COCOImport {
    /// The label maps of a COCO document by image base name (file name without folders or
    /// extension). With `category`, only annotations of the category of that name count.
    public static func labelMaps(in data: Data, category: String? = nil, overlap: OverlapRule = .earlierWins,
                                 path: String) throws(DatasetError) -> [String: RasterizedAnnotations] {
        guard let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidOutlines(path: path, format: "COCO", detail: "not a JSON object")
        }
        guard let images = document["images"] as? [[String: Any]], let annotations = document["annotations"] as? [[String: Any]] else {
            throw .invalidOutlines(path: path, format: "COCO", detail: "no images and annotations arrays")
        }
        var categoryID: Int?
        if let category {
            let categories = document["categories"] as? [[String: Any]] ?? []
            guard let found = categories.first(where: { $0["name"] as? String == category }), let id = JSONNumbers.integer(found["id"]) else {
                let names = categories.compactMap { $0["name"] as? String }
                throw .invalidArgument("\(path) has no category '\(category)' (it has: \(names.joined(separator: ", ")))")
            }
            categoryID = id
        }
        var entries: [Int: (name: String, width: Int, height: Int)] = [:]
        for image in images {
            guard let id = JSONNumbers.integer(image["id"]), let file = image["file_name"] as? String,
                  let width = JSONNumbers.integer(image["width"]), let height = JSONNumbers.integer(image["height"]), width > 0, height > 0 else {
                throw .invalidOutlines(path: path, format: "COCO", detail: "an image entry without id, file_name, width and height")
            }
            entries[id] = (URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, width, height)
        }
        var labels: [Int: LabelMap] = [:]
        var next: [Int: UInt32] = [:]
        var counted: [Int: Int] = [:]
        var skipped: [Int: [SkippedRegion]] = [:]
        for (index, annotation) in annotations.enumerated() {
            guard let imageID = JSONNumbers.integer(annotation["image_id"]), let entry = entries[imageID] else {
                throw .invalidOutlines(path: path, format: "COCO", detail: "annotation #\(index) names no listed image")
            }
            if let categoryID, JSONNumbers.integer(annotation["category_id"]) != categoryID { continue }
            counted[imageID, default: 0] += 1
            let id = JSONNumbers.integer(annotation["id"]).map(String.init) ?? ""
            func skip(_ reason: String) { skipped[imageID, default: []].append(SkippedRegion(index: index, id: id, reason: reason)) }
            if JSONNumbers.integer(annotation["iscrowd"]) == 1 {
                skip("a crowd region, not one nucleus")
                continue
            }
            let pixels: [Int]
            switch mask(of: annotation["segmentation"], width: entry.width, height: entry.height) {
            case let .success(found): pixels = found
            case let .failure(reason):
                skip(reason.text)
                continue
            }
            guard !pixels.isEmpty else {
                skip("covers no pixel of the image")
                continue
            }
            var map = labels[imageID] ?? LabelMap(width: entry.width, height: entry.height, repeating: 0)
            let label = next[imageID, default: 1]
            overlap.paint(pixels, label: label, into: &map)
            labels[imageID] = map
            next[imageID] = label + 1
        }
        var result: [String: RasterizedAnnotations] = [:]
        for (id, entry) in entries {
            result[entry.name] = RasterizedAnnotations(
                labels: labels[id] ?? LabelMap(width: entry.width, height: entry.height, repeating: 0),
                regionCount: counted[id] ?? 0, skipped: skipped[id] ?? [])
        }
        return result
    }

    /// Imports every image of `images` that the COCO file lists (by base name), checking that
    /// its size is the listed one.
    public static func importFolder(images: URL, coco: URL, output: URL, category: String? = nil,
                                    overlap: OverlapRule = .earlierWins, progress: (String) -> Void = { _ in })
        throws(DatasetError) -> (imported: [ImportedImage], missing: [String]) {
        let data: Data
        do {
            data = try Data(contentsOf: coco)
        } catch {
            throw .fileAccess(path: coco.path, reason: "cannot read it")
        }
        let maps = try labelMaps(in: data, category: category, overlap: overlap, path: coco.path)
        return try AnnotationImport.importFolder(images: images, output: output, progress: progress,
                                                 annotated: { maps[$0] != nil }) { name, width, height throws(DatasetError) in
            let result = maps[name]!
            guard result.labels.width == width, result.labels.height == height else {
                throw .sizeMismatch(name: name, image: "\(width)×\(height)",
                                    mask: "\(result.labels.width)×\(result.labels.height) in \(coco.lastPathComponent)")
            }
            return result
        }
    }

    private struct Unusable: Error { var text: String }

    /// The pixel indices (row-major) a segmentation covers.
    private static func mask(of segmentation: Any?, width: Int, height: Int) -> Result<[Int], Unusable> {
        if let rle = segmentation as? [String: Any] {
            guard let size = rle["size"] as? [Any], size.count == 2, JSONNumbers.integer(size[0]) == height, JSONNumbers.integer(size[1]) == width else {
                return .failure(Unusable(text: "an RLE whose size is not the image's [\(height), \(width)]"))
            }
            let counts: [Int]
            if let list = rle["counts"] as? [Any] {
                let numbers = list.compactMap(JSONNumbers.integer)
                guard numbers.count == list.count else { return .failure(Unusable(text: "RLE counts that are not integers")) }
                counts = numbers
            } else if let text = rle["counts"] as? String {
                counts = COCORLE.counts(compressed: text)
            } else {
                return .failure(Unusable(text: "an RLE without counts"))
            }
            do {
                let mask = try COCORLE.decode(counts, width: width, height: height)
                return .success(mask.storage.indices.filter { mask.storage[$0] })
            } catch {
                return .failure(Unusable(text: "\(error)"))
            }
        }
        if let polygons = segmentation as? [[Any]] {
            var pixels = Set<Int>()
            for polygon in polygons {
                let values = polygon.compactMap(JSONNumbers.double)
                guard values.count == polygon.count, values.count >= 6, values.count % 2 == 0 else {
                    return .failure(Unusable(text: "a polygon that is not x1, y1, x2, y2, … with 3 or more points"))
                }
                // Corner-origin coordinates to the rasteriser's centre-origin ones.
                let points = stride(from: 0, to: values.count, by: 2).map { Point(x: values[$0] - 0.5, y: values[$0 + 1] - 0.5) }
                PolygonRasterizer.forEachPixel(in: points, width: width, height: height) { x, y in pixels.insert(y * width + x) }
            }
            return .success(pixels.sorted())
        }
        return .failure(Unusable(text: "no segmentation (RLE or polygons)"))
    }
}

extension COCORLE {
    /// The counts of pycocotools' compressed RLE string: each count in 5-bit groups, low
    /// first, as characters from '0' (0x20 set = more groups follow; the top bit of the last
    /// group is the sign), and from the third count on as the difference to the count two
    /// before it.
    public static func counts(compressed text: String) -> [Int] {
        let bytes = Array(text.utf8)
        var counts: [Int] = []
        var position = 0
        while position < bytes.count {
            var value = 0, shift = 0, more = true
            while more && position < bytes.count {
                let group = Int(bytes[position]) - 48
                value |= (group & 0x1f) << shift
                more = group & 0x20 != 0
                position += 1
                shift += 5
                if !more && group & 0x10 != 0 { value |= -1 << shift }
            }
            if counts.count > 2 { value += counts[counts.count - 2] }
            counts.append(value)
        }
        return counts
    }
}
