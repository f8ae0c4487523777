import Foundation
import Imaging
import Metrics
import Project

/// Why a project's annotations could not be scored against ground truth.
public enum AnnotationAuditError: Error, Sendable, CustomStringConvertible {
    /// The ground-truth map of the image is smaller than the annotated rectangle.
    case cropOutsideGroundTruth(image: String, crop: String, groundTruth: String)
    /// The annotation's map is not the size of its rectangle (the file was replaced).
    case annotationSize(path: String, expected: String, found: String)
    /// A label map could not be read.
    case unreadable(String)
    /// No annotation could be scored: none recorded, or no ground truth for their images.
    case nothingScored(String)

    public var description: String {
        switch self {
        case let .cropOutsideGroundTruth(image, crop, groundTruth):
            "the annotation of \(image) covers \(crop), outside its \(groundTruth) ground truth: is --gt the pool the project annotated?"
        case let .annotationSize(path, expected, found):
            "\(path) is \(found), but its annotation's rectangle is \(expected)"
        case let .unreadable(reason): reason
        case let .nothingScored(reason): reason
        }
    }
}

/// How far accepted annotations agree with ground truth drawn for the same images: in a
/// simulation study, the robot clicker's masks against the masks it clicked from; in a
/// lab, its annotators checked on images it has already labelled. Nothing here feeds
/// training — the cycle never reads these scores.
public struct AnnotationAudit: Sendable, Encodable {
    public struct Scores: Sendable, Encodable, Equatable {
        public var dice1, aji, pq: Double

        init(_ scores: SegmentationScores) {
            (dice1, aji, pq) = (scores.dice1, scores.aji, scores.pq)
        }
    }

    /// One accepted annotation against the ground truth cropped at its rectangle.
    public struct Row: Sendable, Encodable, Equatable {
        public var cycle: Int
        public var image: String
        public var crop_x, crop_y, crop_width, crop_height: Int
        public var annotator: String
        public var nuclei: Int
        public var clicks: Int
        /// Nuclei of the ground truth inside the rectangle; nil without ground truth.
        public var ground_truth_nuclei: Int?
        /// Everything the metrics measured; nil without ground truth for the image, or with
        /// neither map holding a nucleus.
        var measured: SegmentationScores?
        /// The scores shown; nil (JSON null) when nothing was measured.
        public var scores: Scores? { measured.map(Scores.init) }

        private enum CodingKeys: String, CodingKey {
            case cycle, image, crop_x, crop_y, crop_width, crop_height, annotator, nuclei, clicks, ground_truth_nuclei, scores
        }

        /// Unscored rows carry nulls rather than missing keys, so every row has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var row = encoder.container(keyedBy: CodingKeys.self)
            try row.encode(cycle, forKey: .cycle)
            try row.encode(image, forKey: .image)
            for (key, value) in [(CodingKeys.crop_x, crop_x), (.crop_y, crop_y), (.crop_width, crop_width),
                                 (.crop_height, crop_height), (.nuclei, nuclei), (.clicks, clicks)] {
                try row.encode(value, forKey: key)
            }
            try row.encode(annotator, forKey: .annotator)
            try row.encode(ground_truth_nuclei, forKey: .ground_truth_nuclei)
            try row.encode(scores, forKey: .scores)
        }
    }

    /// The image-wise mean of a cycle's scored annotations (as `annotator metrics` averages).
    public struct CycleMean: Sendable, Encodable, Equatable {
        public var cycle: Int
        public var scored: Int
        public var scores: Scores
    }

    public var annotations: [Row]
    public var cycles: [CycleMean]
    /// Over every scored annotation of the project.
    public var mean: Scores
    /// Annotations of images the ground truth does not cover.
    public var unscored: Int

    /// Scores `records` with maps from the two loaders: the ground truth of a pool image by
    /// name (nil when there is none), and an annotation's own map.
    public init(records: [AnnotationRecord],
                groundTruth: (String) throws(AnnotationAuditError) -> LabelMap?,
                annotationMap: (AnnotationRecord) throws(AnnotationAuditError) -> LabelMap) throws(AnnotationAuditError) {
        var rows: [Row] = []
        var unscored = 0
        for record in records.sorted(by: { ($0.cycle, $0.id ?? 0) < ($1.cycle, $1.id ?? 0) }) {
            var row = Row(cycle: record.cycle, image: record.imageName, crop_x: record.cropX, crop_y: record.cropY,
                          crop_width: record.cropWidth, crop_height: record.cropHeight, annotator: record.annotator,
                          nuclei: record.nucleusCount, clicks: record.clickCount)
            guard let truth = try groundTruth(record.imageName) else {
                unscored += 1
                rows.append(row)
                continue
            }
            let rectangle = "\(record.cropWidth)×\(record.cropHeight) at (\(record.cropX), \(record.cropY))"
            guard record.cropX >= 0, record.cropY >= 0, record.cropX + record.cropWidth <= truth.width,
                  record.cropY + record.cropHeight <= truth.height else {
                throw .cropOutsideGroundTruth(image: record.imageName, crop: rectangle, groundTruth: "\(truth.width)×\(truth.height)")
            }
            let annotation = try annotationMap(record)
            guard annotation.width == record.cropWidth, annotation.height == record.cropHeight else {
                throw .annotationSize(path: record.instanceMapPath, expected: "\(record.cropWidth)×\(record.cropHeight)",
                                      found: "\(annotation.width)×\(annotation.height)")
            }
            let truthCrop = truth.cropped(x: record.cropX, y: record.cropY, width: record.cropWidth, height: record.cropHeight)
            row.ground_truth_nuclei = truthCrop.instanceIDs.count
            // Same size by the guards above, so the metrics cannot refuse the pair.
            if let scores = try? SegmentationMetrics.evaluate(groundTruth: truthCrop, prediction: annotation), scores.scored {
                row.measured = scores
            }
            rows.append(row)
        }
        guard let mean = Self.mean(rows) else {
            throw .nothingScored(records.isEmpty
                ? "the project has no accepted annotation yet"
                : "none of the \(records.count) annotated images has a ground-truth map")
        }
        annotations = rows
        cycles = Dictionary(grouping: rows, by: \.cycle).sorted { $0.key < $1.key }.compactMap { cycle, ofCycle in
            Self.mean(ofCycle).map { CycleMean(cycle: cycle, scored: ofCycle.filter { $0.measured != nil }.count, scores: $0) }
        }
        self.mean = mean
        self.unscored = unscored
    }

    private static func mean(_ rows: [Row]) -> Scores? {
        SegmentationScores.mean(rows.compactMap(\.measured)).map(Scores.init)
    }

    /// A plain-text table: one line per annotation, then the means per cycle and overall.
    public var table: String {
        func cell(_ value: Double?) -> String { value.map { String(format: "%6.4f", $0) } ?? "     —" }
        let width = max(5, annotations.map(\.image.count).max() ?? 0)
        func padded(_ text: String) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = ["cycle  \(padded("image"))  crop (x, y, w×h)        nuclei  truth  clicks   dice1     aji      pq"]
        for row in annotations {
            let crop = "\(row.crop_x), \(row.crop_y), \(row.crop_width)×\(row.crop_height)"
                .padding(toLength: 22, withPad: " ", startingAt: 0)
            lines.append(String(format: "%5d  %@  %@  %6d  %@  %6d  %@  %@  %@", row.cycle, padded(row.image), crop,
                                row.nuclei, row.ground_truth_nuclei.map { String(format: "%5d", $0) } ?? "    —",
                                row.clicks, cell(row.scores?.dice1), cell(row.scores?.aji), cell(row.scores?.pq)))
        }
        lines.append("")
        for cycle in cycles {
            lines.append(String(format: "cycle %d mean of %d: dice1 %@  aji %@  pq %@", cycle.cycle, cycle.scored,
                                cell(cycle.scores.dice1), cell(cycle.scores.aji), cell(cycle.scores.pq)))
        }
        lines.append(String(format: "all annotations, mean of %d: dice1 %@  aji %@  pq %@",
                            annotations.filter { $0.measured != nil }.count, cell(mean.dice1), cell(mean.aji), cell(mean.pq)))
        if unscored > 0 {
            lines.append("— : \(unscored) annotation(s) of images without a ground-truth map in the folder, not scored")
        }
        return lines.joined(separator: "\n")
    }
}

extension AnnotationAudit {
    /// Scores a project's accepted annotations against the label maps in `groundTruth`,
    /// matched to the pool's images by base name (PNG or TIFF).
    public init(project: ProjectStore, groundTruth folder: URL) throws(AnnotationAuditError) {
        let records: [AnnotationRecord]
        let files: [URL]
        do {
            records = try project.annotations()
        } catch {
            throw .unreadable("cannot read the project's annotations: \(error)")
        }
        do {
            files = try ImageFiles.listImages(in: folder)
        } catch {
            throw .unreadable("\(error)")
        }
        let byName = Dictionary(files.map { ($0.deletingPathExtension().lastPathComponent, $0) },
                                uniquingKeysWith: { first, _ in first })
        var cache: [String: LabelMap] = [:]
        do {
            try self.init(records: records, groundTruth: { (name: String) throws(AnnotationAuditError) -> LabelMap? in
                if let map = cache[name] { return map }
                guard let file = byName[name] else { return nil }
                do {
                    let map = try ImageFiles.readLabelMap(file)
                    cache[name] = map
                    return map
                } catch {
                    throw .unreadable("ground truth of \(name): \(error)")
                }
            }, annotationMap: { (record: AnnotationRecord) throws(AnnotationAuditError) -> LabelMap in
                do {
                    return try ImageFiles.readLabelMap(URL(fileURLWithPath: record.instanceMapPath))
                } catch {
                    throw .unreadable("annotation of \(record.imageName) in cycle \(record.cycle): \(error)")
                }
            })
        } catch .nothingScored(let reason) where !records.isEmpty {
            throw .nothingScored("\(reason) in \(folder.path) (maps are matched by the pool image's base name, "
                                 + "e.g. \(records[0].imageName).png)")
        }
    }
}
