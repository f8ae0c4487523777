import Foundation
import Project

/// The account of a project's cycles: quality per cycle on the evaluation set, and the
/// effort that bought it.
public struct CycleReport: Sendable, Encodable {
    public struct Row: Sendable, Encodable, Equatable {
        public var cycle: Int
        /// Scores on the evaluation set; nil (JSON null) when the project has none.
        public var scores: CycleScores?
        public var clicks: Int
        public var annotated_nuclei: Int
        public var clicks_per_nucleus: Double
        public var seconds: Double
        /// Mean agreement of this cycle's accepted crops with HoVerNet's proposals for them
        /// (the previous cycle's model, on crops it had not seen); null without annotations.
        public var proposal_dice, proposal_aji: Double?

        public init(cycle: Int, scores: CycleScores?, clicks: Int, annotated_nuclei: Int, seconds: Double,
                    proposal: (dice: Double, aji: Double)? = nil) {
            self.cycle = cycle
            self.scores = scores
            self.clicks = clicks
            self.annotated_nuclei = annotated_nuclei
            self.clicks_per_nucleus = annotated_nuclei > 0 ? Double(clicks) / Double(annotated_nuclei) : 0
            self.seconds = seconds
            proposal_dice = proposal?.dice
            proposal_aji = proposal?.aji
        }

        private enum CodingKeys: String, CodingKey {
            case cycle, dice1, dice2, aji, aji_plus, dq, sq, pq, clicks, annotated_nuclei, clicks_per_nucleus, seconds
            case proposal_dice, proposal_aji
        }

        /// Unscored cycles give null scores (not missing keys), so every row has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var row = encoder.container(keyedBy: CodingKeys.self)
            try row.encode(cycle, forKey: .cycle)
            for (key, value) in [(CodingKeys.dice1, scores?.dice1), (.dice2, scores?.dice2), (.aji, scores?.aji),
                                 (.aji_plus, scores?.ajiPlus), (.dq, scores?.dq), (.sq, scores?.sq), (.pq, scores?.pq),
                                 (.proposal_dice, proposal_dice), (.proposal_aji, proposal_aji)] {
                try row.encode(value, forKey: key)
            }
            try row.encode(clicks, forKey: .clicks)
            try row.encode(annotated_nuclei, forKey: .annotated_nuclei)
            try row.encode(clicks_per_nucleus, forKey: .clicks_per_nucleus)
            try row.encode(seconds, forKey: .seconds)
        }
    }

    public var cycles: [Row]
    /// Time per step of each cycle, in seconds.
    public var step_seconds: [String: [String: Double]]

    /// A report of rows obtained elsewhere (e.g. from the orchestrator service).
    public init(cycles: [Row], stepSeconds: [String: [String: Double]] = [:]) {
        self.cycles = cycles
        step_seconds = stepSeconds
    }

    public init(project: ProjectStore) throws(ProjectError) {
        let annotations = Dictionary(grouping: try project.annotations(), by: \.cycle)
        cycles = try project.cycles().map { record in
            Row(cycle: record.number, scores: record.scores, clicks: record.clicks,
                annotated_nuclei: record.annotatedNuclei, seconds: record.seconds,
                proposal: Self.meanAgreement(annotations[record.number] ?? []))
        }
        var steps: [String: [String: Double]] = [:]
        for step in try project.completedSteps() {
            steps["\(step.cycle)", default: [:]][step.name] = step.seconds
        }
        step_seconds = steps
    }

    static func meanAgreement(_ annotations: [AnnotationRecord]) -> (dice: Double, aji: Double)? {
        let scored = annotations.compactMap { record in
            record.proposalDice.flatMap { dice in record.proposalAJI.map { (dice, $0) } }
        }
        guard !scored.isEmpty else { return nil }
        let count = Double(scored.count)
        return (scored.reduce(0) { $0 + $1.0 } / count, scored.reduce(0) { $0 + $1.1 } / count)
    }

    /// The scores the table shows, in its column order (all nil when unscored).
    private static func tabled(_ scores: CycleScores?) -> [Double?] {
        [scores?.dice1, scores?.aji, scores?.ajiPlus, scores?.dq, scores?.sq, scores?.pq]
    }

    /// A plain-text table for the terminal.
    public var table: String {
        var lines = ["cycle   dice1     aji    aji+      dq      sq      pq  clicks  nuclei  clicks/nucleus  proposal AJI  minutes"]
        func cell(_ value: Double?) -> String { value.map { String(format: "%6.4f", $0) } ?? "     —" }
        for row in cycles {
            let scores = Self.tabled(row.scores).map(cell).joined(separator: "  ")
            lines.append(String(format: "%5d  %@  %6d  %6d  %14.2f        %@  %7.1f", row.cycle, scores, row.clicks,
                                row.annotated_nuclei, row.clicks_per_nucleus, cell(row.proposal_aji), row.seconds / 60))
        }
        if cycles.isEmpty { lines.append("no cycle has been completed yet") }
        if cycles.contains(where: { $0.scores == nil }) {
            lines.append("— : no evaluation set, so the cycle was not scored (the models and annotations are there)")
        }
        return lines.joined(separator: "\n")
    }

    /// A self-contained HTML page: one plot per metric against cycles (as the report's
    /// Figures 4.2–4.4), the table, and the given images (overlays of annotated crops and
    /// predictions), referenced relative to the page.
    public func html(title: String = "Annotation cycles", images: [(caption: String, path: String)] = []) -> String {
        let metrics: [(String, KeyPath<Row, Double?>)] = [("Dice", \.scores?.dice1), ("AJI", \.scores?.aji),
                                                           ("AJI+", \.scores?.ajiPlus), ("DQ", \.scores?.dq),
                                                           ("SQ", \.scores?.sq), ("PQ", \.scores?.pq),
                                                           ("Proposal AJI", \.proposal_aji)]
        var body = "<h1>\(escape(title))</h1>\n<div class=\"plots\">\n"
        for (name, key) in metrics {
            let values = cycles.compactMap { row in row[keyPath: key].map { (row.cycle, $0) } }
            if !values.isEmpty { body += plot(name: name, values: values) }
        }
        body += "</div>\n"
        if cycles.contains(where: { $0.scores == nil }) {
            body += "<p>Cycles marked — ran without an evaluation set, so they have no scores.</p>\n"
        }
        if cycles.contains(where: { $0.proposal_aji != nil }) {
            body += "<p>Proposal AJI: how far a cycle's annotated crops agree with HoVerNet's segmentation of them before annotation (the previous cycle's model, which had not seen them); 1 = nothing to correct. It needs no evaluation set.</p>\n"
        }
        body += "<h2>Per cycle</h2>\n<table><tr><th>cycle</th><th>Dice</th><th>AJI</th><th>AJI+</th><th>DQ</th><th>SQ</th><th>PQ</th><th>clicks</th><th>nuclei annotated</th><th>clicks/nucleus</th><th>proposal AJI</th><th>minutes</th></tr>\n"
        for row in cycles {
            let cells = [String(row.cycle)] + Self.tabled(row.scores).map { $0.map { String(format: "%.4f", $0) } ?? "—" }
                + [String(row.clicks), String(row.annotated_nuclei), String(format: "%.2f", row.clicks_per_nucleus),
                   row.proposal_aji.map { String(format: "%.4f", $0) } ?? "—", String(format: "%.1f", row.seconds / 60)]
            body += "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>\n"
        }
        body += "</table>\n"
        if !images.isEmpty {
            body += "<h2>Annotated crops and predictions</h2>\n<div class=\"images\">\n"
            for image in images {
                body += "<figure><img src=\"\(escape(image.path))\" alt=\"\(escape(image.caption))\"><figcaption>\(escape(image.caption))</figcaption></figure>\n"
            }
            body += "</div>\n"
        }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
        .plots{display:flex;flex-wrap:wrap;gap:1em}.images{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}img{max-width:400px}</style>
        </head><body>
        \(body)</body></html>
        """
    }

    private func plot(name: String, values: [(Int, Double)]) -> String {
        let width = 280.0, height = 180.0, left = 40.0, bottom = 30.0, top = 20.0, right = 10.0
        let xs = values.map { Double($0.0) }
        let minX = xs.min() ?? 1, maxX = max(xs.max() ?? 1, minX + 1)
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * (width - left - right) }
        func py(_ y: Double) -> Double { top + (1 - min(max(y, 0), 1)) * (height - top - bottom) }
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(name) per cycle\">"
        svg += "<text x=\"\(left)\" y=\"14\" font-size=\"12\">\(name)</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(py(0))\" x2=\"\(width - right)\" y2=\"\(py(0))\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(py(0))\" x2=\"\(left)\" y2=\"\(py(1))\" stroke=\"#888\"/>"
        for tick in [0.0, 0.5, 1.0] {
            svg += "<text x=\"4\" y=\"\(py(tick) + 4)\" font-size=\"10\">\(tick)</text>"
        }
        for (cycle, _) in values {
            svg += "<text x=\"\(px(Double(cycle)) - 3)\" y=\"\(height - 10)\" font-size=\"10\">\(cycle)</text>"
        }
        let points = values.map { "\(px(Double($0.0))),\(py($0.1))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(points)\"/>"
        for (cycle, value) in values {
            svg += "<circle cx=\"\(px(Double(cycle)))\" cy=\"\(py(value))\" r=\"3\" fill=\"#1f77b4\"><title>cycle \(cycle): \(String(format: "%.4f", value))</title></circle>"
        }
        return svg + "</svg>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
