import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header mapping each name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
/// into the byte buffer after the header) plus optional "__metadata__" of strings, then
/// the raw little-endian data. Only F32 is written or read.
public enum SafeTensors {
    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws(LearningError) -> Data {
        let sorted = tensors.sorted { $0.0 < $1.0 }
        if let duplicate = zip(sorted, sorted.dropFirst()).first(where: { $0.0.0 == $0.1.0 }) {
            throw .invalidArgument(op: "safetensors", detail: "tensor name '\(duplicate.0.0)' appears twice")
        }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let bytes = tensor.count * 4
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        // Pad with spaces so the data starts 8-byte aligned (as the reference writer does).
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, tensor) in sorted {
            // x86-64 and arm64 are little-endian, as the format requires.
            data.append(UnsafeBufferPointer(start: tensor.data, count: tensor.count))
        }
        return data
    }

    public static func decode(_ data: Data) throws(LearningError) -> [String: Tensor] {
        guard data.count >= 8 else { throw .malformedFile(detail: "\(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw .malformedFile(detail: "header length \(headerLength) exceeds file size \(data.count)")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw .malformedFile(detail: "header is not a JSON object")
        }
        let body = data.subdata(in: (8 + Int(headerLength))..<data.count)
        var result: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw .malformedFile(detail: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw .unsupportedDType(name: name, dtype: dtype) }
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, offsets[1] <= body.count, offsets[1] - offsets[0] == count * 4 else {
                throw .malformedFile(detail: "entry '\(name)' has offsets \(offsets) for shape \(shape) in \(body.count) data bytes")
            }
            let tensor = Tensor(zeros: shape)
            body.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(tensor.data).copyMemory(from: raw.baseAddress! + offsets[0], byteCount: count * 4)
            }
            result[name] = tensor
        }
        return result
    }

    /// Writes atomically, making the folder first: a training run's first checkpoint must not
    /// fail on a folder nobody made yet.
    public static func save(_ tensors: [(String, Tensor)], to url: URL, metadata: [String: String] = [:]) throws(LearningError) {
        let data = try encode(tensors, metadata: metadata)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw .io(path: url.path, detail: LearningError.reason(error))
        }
    }

    /// The `__metadata__` strings of a file, reading only its header (model files carry
    /// their architecture and training state there; the tensors are not needed to see them).
    public static func metadata(of url: URL) throws(LearningError) -> [String: String] {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch { throw .io(path: url.path, detail: "cannot open: \(LearningError.reason(error))") }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else {
            throw .malformedFile(detail: "\(url.path) is shorter than the 8-byte header length")
        }
        let length = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length < 100_000_000, let header = try? handle.read(upToCount: Int(length)), header.count == Int(length),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw .malformedFile(detail: "\(url.path) has no readable safetensors header")
        }
        return object["__metadata__"] as? [String: String] ?? [:]
    }

    public static func load(_ url: URL) throws(LearningError) -> [String: Tensor] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .io(path: url.path, detail: LearningError.reason(error)) }
        return try decode(data)
    }

    private static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}

extension Module {
    /// Writes parameters and buffers as safetensors.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(LearningError) {
        try SafeTensors.save(stateDict(), to: url, metadata: metadata)
    }

    /// Loads every parameter and buffer by name; throws naming the first missing or
    /// mismatched tensor before changing any weight. Extra tensors in the file are ignored
    /// unless `strict`.
    public func load(from url: URL, strict: Bool = true) throws(LearningError) {
        try load(try SafeTensors.load(url), strict: strict)
    }

    /// `load(from:strict:)` for tensors already read (e.g. a file that also holds other state).
    public func load(_ tensors: [String: Tensor], strict: Bool = true) throws(LearningError) {
        let state = stateDict()
        for (name, tensor) in state {
            guard let stored = tensors[name] else { throw .missingTensor(name: name) }
            guard stored.shape == tensor.shape else {
                throw .tensorShapeMismatch(name: name, expected: tensor.shape, found: stored.shape)
            }
        }
        if strict, let extra = Set(tensors.keys).subtracting(state.map(\.0)).sorted().first {
            throw .invalidArgument(op: "load", detail: "the file has tensor '\(extra)' that the model lacks")
        }
        for (name, tensor) in state { try tensor.assign(tensors[name]!) }
    }
}
