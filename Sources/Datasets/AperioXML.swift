import Foundation
import Imaging
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The polygons of an Aperio ImageScope annotation file (the MoNuSeg format):
/// Annotations › Annotation › Regions › Region › Vertices › Vertex(X, Y), in file order,
/// with the file's own 1-based coordinates.
public enum AperioXML {
    public struct Region: Sendable, Equatable {
        /// The Region's Id attribute (empty when absent).
        public var id: String
        public var vertices: [Point]
    }

    public static func regions(in url: URL) throws(DatasetError) -> [Region] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .fileAccess(path: url.path, reason: "cannot read the file")
        }
        return try regions(data, path: url.path)
    }

    public static func regions(_ data: Data, path: String = "(data)") throws(DatasetError) -> [Region] {
        let collector = RegionCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else {
            let detail = parser.parserError.map { "\($0.localizedDescription) at line \(parser.lineNumber)" } ?? "malformed XML"
            throw .invalidAnnotation(path: path, detail: collector.problem ?? detail)
        }
        if let problem = collector.problem { throw .invalidAnnotation(path: path, detail: problem) }
        if collector.isUnfinished { throw .invalidAnnotation(path: path, detail: "the file ends early (truncated?)") }
        guard collector.sawAnnotations else {
            throw .invalidAnnotation(path: path, detail: "no <Annotations> element")
        }
        return collector.regions
    }
}

private final class RegionCollector: NSObject, XMLParserDelegate {
    var regions: [AperioXML.Region] = []
    var problem: String?
    var sawAnnotations = false
    private var current: AperioXML.Region?
    /// Open elements, so a truncated or mis-nested file is an error even where the
    /// platform's parser recovers silently.
    private var open: [String] = []

    var isUnfinished: Bool { !open.isEmpty }

    func parserDidEndDocument(_ parser: XMLParser) {
        if !open.isEmpty && problem == nil { problem = "the file ends inside <\(open.last!)> (truncated?)" }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(name)
        switch name {
        case "Annotations": sawAnnotations = true
        case "Region": current = AperioXML.Region(id: attributes["Id"] ?? "", vertices: [])
        case "Vertex":
            guard current != nil else { return }
            guard let x = attributes["X"].flatMap(Double.init), let y = attributes["Y"].flatMap(Double.init),
                  x.isFinite, y.isFinite else {
                if problem == nil { problem = "a Vertex of region \(current?.id ?? "?") at line \(parser.lineNumber) has no numeric X and Y" }
                parser.abortParsing()
                return
            }
            current?.vertices.append(Point(x: x, y: y))
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if open.last == name {
            open.removeLast()
        } else if problem == nil {
            problem = "</\(name)> at line \(parser.lineNumber) does not close <\(open.last ?? "nothing")>"
            parser.abortParsing()
        }
        if name == "Region", let region = current {
            regions.append(region)
            current = nil
        }
    }
}
