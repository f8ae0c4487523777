import Foundation
import Imaging

/// GeoJSON (RFC 7946) FeatureCollection of instance outlines in pixel coordinates, as
/// QuPath imports them: one Feature per instance, a Polygon (or a MultiPolygon when the
/// instance has several pieces) whose rings follow pixel edges, holes included.
public enum GeoJSONExport {
    public static func featureCollection(_ labels: LabelMap, className: String = "Nucleus") -> [String: Any] {
        let shapes = Contours.polygons(labels)
        var features: [[String: Any]] = []
        for label in shapes.keys.sorted() {
            // RFC 7946 wants exterior rings counter-clockwise in a y-up frame and holes
            // clockwise, which on screen is the other way round: the order Contours produces.
            let polygons = shapes[label]!.map { rings in rings.map { ring in ring.map { [$0.x, $0.y] } } }
            let geometry: [String: Any] = polygons.count == 1
                ? ["type": "Polygon", "coordinates": polygons[0]]
                : ["type": "MultiPolygon", "coordinates": polygons]
            features.append([
                "type": "Feature",
                "id": "nucleus-\(label)",
                "geometry": geometry,
                "properties": [
                    "objectType": "annotation",
                    "label": Int(label),
                    "classification": ["name": className, "color": [0, 200, 0]],
                ] as [String: Any],
            ])
        }
        return ["type": "FeatureCollection", "features": features]
    }

    public static func data(_ labels: LabelMap, className: String = "Nucleus") throws -> Data {
        try JSONSerialization.data(withJSONObject: featureCollection(labels, className: className), options: [.sortedKeys])
    }
}

/// COCO run-length encoding, uncompressed form as pycocotools reads it: the mask in
/// column-major order, counts of alternating runs starting with background.
public enum COCORLE {
    public static func encode(_ mask: Mask) -> [Int] {
        var counts: [Int] = []
        var current = false, run = 0
        for x in 0..<mask.width {
            for y in 0..<mask.height {
                let value = mask.storage[y * mask.width + x]
                if value != current {
                    counts.append(run)
                    current = value
                    run = 0
                }
                run += 1
            }
        }
        counts.append(run)
        return counts
    }

    /// The runs of `label` in `labels`, scanning only its bounding box `box`: everything
    /// outside is background and only shifts run starts.
    static func encode(_ labels: LabelMap, label: UInt32, in box: InstanceExtent) -> [Int] {
        let (minX, minY, maxX, maxY) = (box.x0, box.y0, box.x1 - 1, box.y1 - 1)
        let height = labels.height
        var counts: [Int] = []
        var current = false, lastChange = 0
        func toggle(at position: Int) {
            counts.append(position - lastChange)
            lastChange = position
            current.toggle()
        }
        // Consecutive columns of the box touch in column-major order only when it spans the full height.
        let columnsTouch = minY == 0 && maxY == height - 1
        for x in minX...maxX {
            for y in minY...maxY where (labels.storage[y * labels.width + x] == label) != current {
                toggle(at: x * height + y)
            }
            if current && (!columnsTouch || x == maxX) { toggle(at: x * height + maxY + 1) }
        }
        counts.append(labels.width * height - lastChange)
        return counts
    }

    public static func decode(_ counts: [Int], width: Int, height: Int) throws(DatasetError) -> Mask {
        guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == width * height else {
            throw .invalidArgument("RLE counts do not add up to \(width)×\(height)")
        }
        var mask = Mask(width: width, height: height, repeating: false)
        var position = 0, value = false
        for count in counts {
            if value {
                for offset in position..<(position + count) {
                    mask.storage[(offset % height) * width + offset / height] = true
                }
            }
            position += count
            value.toggle()
        }
        return mask
    }
}

/// COCO instance-segmentation JSON with one category ("nucleus") and RLE masks.
public enum COCOExport {
    public static func document(_ images: [(fileName: String, labels: LabelMap)], categoryName: String = "nucleus") -> [String: Any] {
        var imageEntries: [[String: Any]] = []
        var annotations: [[String: Any]] = []
        var nextAnnotation = 1
        for (index, image) in images.enumerated() {
            let imageID = index + 1
            let labels = image.labels
            imageEntries.append(["id": imageID, "file_name": image.fileName, "width": labels.width, "height": labels.height])
            for (label, box) in labels.instanceExtents() {
                annotations.append([
                    "id": nextAnnotation,
                    "image_id": imageID,
                    "category_id": 1,
                    "segmentation": ["size": [labels.height, labels.width],
                                     "counts": COCORLE.encode(labels, label: label, in: box)] as [String: Any],
                    "area": box.area,
                    "bbox": [box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0],
                    "iscrowd": 0,
                ])
                nextAnnotation += 1
            }
        }
        return [
            "info": ["description": "Efficient Dataset Annotator export"],
            "images": imageEntries,
            "annotations": annotations,
            "categories": [["id": 1, "name": categoryName, "supercategory": "cell"]],
        ]
    }

    public static func data(_ images: [(fileName: String, labels: LabelMap)]) throws -> Data {
        try JSONSerialization.data(withJSONObject: document(images), options: [.sortedKeys])
    }
}

/// Instance outlines drawn over the image, for looking at results.
public enum Overlay {
    public static func outlines(_ image: RGBImage, _ labels: LabelMap,
                                color: (r: UInt8, g: UInt8, b: UInt8) = (0, 255, 0)) throws(DatasetError) -> RGBImage {
        guard image.width == labels.width, image.height == labels.height else {
            throw .sizeMismatch(name: "overlay", image: "\(image.width)×\(image.height)", mask: "\(labels.width)×\(labels.height)")
        }
        var out = image
        let boundary = Contours.boundary(labels)
        for index in boundary.storage.indices where boundary.storage[index] {
            out.pixels[3 * index] = color.r
            out.pixels[3 * index + 1] = color.g
            out.pixels[3 * index + 2] = color.b
        }
        return out
    }
}
