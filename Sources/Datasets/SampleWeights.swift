import Foundation

/// Per-sample training weights of a folder dataset, in `weights.json` next to `images/`:
/// `{"weights": {"<sample name>": w, ...}, ...}` plus free-form fields saying where they
/// came from. The refiner writes Hou et al.'s importance weights c·D/(1−D) here; trainers
/// draw a sample of weight 2 twice as often as one of weight 1, and a sample the file does
/// not name weighs 1.
public enum SampleWeights {
    public static let fileName = "weights.json"

    /// The folder's weights, or nil when it has no weights file. A file that is there but
    /// unreadable, or holds a negative or non-finite weight, is an error naming it.
    public static func read(in folder: URL) throws(DatasetError) -> [String: Double]? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        } catch {
            throw .fileAccess(path: url.path, reason: "not readable JSON: \(error.localizedDescription)")
        }
        guard let table = (object as? [String: Any])?["weights"] as? [String: Any] else {
            throw .invalidArgument("\(url.path): no \"weights\" object of sample name → number")
        }
        var weights: [String: Double] = [:]
        for (name, value) in table {
            guard let number = (value as? NSNumber)?.doubleValue, number.isFinite, number >= 0 else {
                throw .invalidArgument("\(url.path): the weight of '\(name)' is \(value), not a finite number ≥ 0")
            }
            weights[name] = number
        }
        return weights
    }

    /// Writes `weights` (and `details`, e.g. how they were computed) into `folder`.
    public static func write(_ weights: [String: Double], to folder: URL, details: [String: Any] = [:]) throws(DatasetError) {
        var document = details
        document["weights"] = weights
        let url = folder.appendingPathComponent(fileName)
        do {
            try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        } catch {
            throw .fileAccess(path: url.path, reason: "\(error)")
        }
    }
}
