import Foundation
import Imaging
import ServiceKit
import Synchronization
import Synthesis
import Wire

/// The synthesis service: `Generate` (pool reference + count + seed → pairs, returned or
/// written as a dataset folder). Prepared pools (segmented and inpainted once) are cached.
public final class SynthesisService: Sendable {
    public static let name = "synthesis"
    /// Pairs returned in one reply at most (larger sets: output_path, or batches by first_index).
    public static let maximumReturnedPairs = 64

    public struct Configuration: Sendable {
        /// Prepared pools kept in memory. Default 2.
        public var cachedPools = 2
        public init() {}
    }

    public let configuration: Configuration
    private let pools = Mutex<[(key: String, pool: SynthesisPool)]>([])

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var definition: ServiceDefinition {
        var service = ServiceDefinition(name: Self.name)
        service.method("Generate", idempotent: true) { (request: Annotator_V1_SynthesisGenerateRequest, _) in
            try await self.generate(request)
        }
        return service
    }

    func generate(_ request: Annotator_V1_SynthesisGenerateRequest) async throws(RPCError) -> Annotator_V1_SynthesisGenerateResponse {
        guard !request.pool.path.isEmpty else { throw .invalidArgument("pool.path: give the folder of unannotated images") }
        let count = Int(request.count)
        let writes = !request.outputPath.isEmpty
        guard count > 0, count <= (writes ? SyntheticDataset.maximumCount : Self.maximumReturnedPairs) else {
            throw .invalidArgument("count must be 1...\(writes ? SyntheticDataset.maximumCount : Self.maximumReturnedPairs) "
                                   + (writes ? "" : "when pairs are returned (use output_path for more) ") + "(got \(count))")
        }
        let size = request.size == 0 ? 256 : Int(request.size)
        let pool = try await self.pool(path: request.pool.path, maximumImages: request.maxPoolImages == 0 ? nil : Int(request.maxPoolImages))
        let synthesizer: Synthesizer
        do { synthesizer = try Synthesizer(pool: pool, configuration: .init(size: size)) } catch { throw .invalidArgument("\(error)") }
        let first = Int(request.firstIndex), seed = request.seed
        var response = Annotator_V1_SynthesisGenerateResponse()
        let stats = pool.statistics
        response.medianArea = stats.medianArea
        response.minArea = stats.minimumArea
        response.maxArea = stats.maximumArea
        response.nuclearCoverage = stats.nuclearCoverage
        response.poolImages = UInt32(pool.sources.count)
        if writes {
            let output = URL(fileURLWithPath: request.outputPath)
            try await offload { () throws(RPCError) in
                do { try SyntheticDataset.write(synthesizer, count: count, seed: seed, to: output) } catch {
                    throw Self.rpcError(error)
                }
            }
            response.outputPath = request.outputPath
            return response
        }
        let pairs = await offload { () -> [Annotator_V1_SyntheticPair] in
            (first..<(first + count)).map { index in
                let pair = synthesizer.generate(index: index, seed: seed)
                var message = Annotator_V1_SyntheticPair()
                message.name = "synthetic_\(index)"
                message.image = Annotator_V1_Image(pair.image, name: message.name)
                message.instances = Annotator_V1_LabelMap(pair.labels, name: message.name)
                return message
            }
        }
        response.pairs = pairs
        return response
    }

    private func pool(path: String, maximumImages: Int?) async throws(RPCError) -> SynthesisPool {
        let key = "\(path)|\(maximumImages ?? 0)"
        if let cached = pools.withLock({ $0.first { $0.key == key }?.pool }) { return cached }
        let loaded = try await offload { () throws(RPCError) -> SynthesisPool in
            do { return try SynthesisPool.load(folder: URL(fileURLWithPath: path), maximumImages: maximumImages) } catch {
                throw Self.rpcError(error)
            }
        }
        pools.withLock { cache in
            cache.insert((key, loaded), at: 0)
            if cache.count > configuration.cachedPools { cache.removeLast(cache.count - configuration.cachedPools) }
        }
        return loaded
    }

    static func rpcError(_ error: any Error) -> RPCError {
        switch error as? SynthesisError {
        case .output?: .internal("\(error)")
        default: .invalidArgument("\(error)")
        }
    }
}
