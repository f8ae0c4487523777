import Datasets
import Foundation
import Imaging
import RefinementService
import ServiceKit
import SynthesisService
import TestSupport
import Wire
import XCTest

final class SynthesisServiceTests: XCTestCase {
    /// Pink stroma with dark purple discs: enough for the Otsu pool statistics.
    static func tissue(seed: UInt64, size: Int = 128) -> RGBImage {
        var rng = SeededGenerator(seed: seed)
        var image = RGBImage(width: size, height: size, fill: (225, 165, 200))
        for _ in 0..<20 {
            let cx = Int.random(in: 0..<size, using: &rng), cy = Int.random(in: 0..<size, using: &rng), r = Int.random(in: 4...7, using: &rng)
            for y in max(0, cy - r)..<min(size, cy + r + 1) {
                for x in max(0, cx - r)..<min(size, cx + r + 1) where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                    let noise = Int.random(in: -10...10, using: &rng), index = 3 * (y * size + x)
                    image.pixels[index] = UInt8(clamping: 85 + noise)
                    image.pixels[index + 1] = UInt8(clamping: 55 + noise)
                    image.pixels[index + 2] = UInt8(clamping: 140 + noise)
                }
            }
        }
        return image
    }

    func testGenerateTrainAndRefineOverTheWire() async throws {
        let root = TestPaths.temporaryDirectory("synth-service")
        defer { try? FileManager.default.removeItem(at: root) }
        let poolFolder = root.appendingPathComponent("pool")
        try FileManager.default.createDirectory(at: poolFolder, withIntermediateDirectories: true)
        for index in 0..<3 { try ImageFiles.writeRGB(Self.tissue(seed: UInt64(index + 1)), to: poolFolder.appendingPathComponent("p\(index).png")) }

        var serverConfiguration = ServerConfiguration(endpoint: "inproc://synthesis-\(UUID().uuidString)")
        serverConfiguration.log = { _ in }
        let synthesis = RPCServer(service: SynthesisService().definition, configuration: serverConfiguration)
        let synthesisClient = try RPCClient(endpoint: try synthesis.start())

        var request = Annotator_V1_SynthesisGenerateRequest()
        request.pool.path = poolFolder.path
        request.count = 2
        request.seed = 5
        request.size = 64
        let first: Annotator_V1_SynthesisGenerateResponse = try await synthesisClient.unary("Generate", request)
        XCTAssertEqual(first.pairs.count, 2)
        XCTAssertEqual(first.poolImages, 3)
        let image = try first.pairs[1].image.rgbImage(field: "image")
        let labels = try first.pairs[1].instances.labelMap(field: "instances")
        XCTAssertEqual(image.width, 64)
        XCTAssertFalse(labels.instanceIDs.isEmpty)
        // Pair i depends only on (seed, i): fetching from index 1 gives the same pair.
        request.firstIndex = 1
        request.count = 1
        let again: Annotator_V1_SynthesisGenerateResponse = try await synthesisClient.unary("Generate", request)
        XCTAssertEqual(try again.pairs[0].image.rgbImage(field: "image"), image)
        // Written as a dataset folder.
        request.count = 4
        request.outputPath = root.appendingPathComponent("synthetic").path
        let written: Annotator_V1_SynthesisGenerateResponse = try await synthesisClient.unary("Generate", request)
        XCTAssertEqual(written.outputPath, request.outputPath)
        XCTAssertEqual(try FolderDataset(root: root.appendingPathComponent("synthetic")).samples.count, 4)
        // Bad input: a count of zero, a pool without images.
        request.count = 0
        do {
            let _: Annotator_V1_SynthesisGenerateResponse = try await synthesisClient.unary("Generate", request)
            XCTFail("expected INVALID_ARGUMENT")
        } catch { XCTAssertEqual(error.status, .invalidArgument) }
        request.count = 1
        request.outputPath = ""
        request.pool.path = root.appendingPathComponent("nothing").path
        do {
            let _: Annotator_V1_SynthesisGenerateResponse = try await synthesisClient.unary("Generate", request)
            XCTFail("expected INVALID_ARGUMENT")
        } catch { XCTAssertEqual(error.status, .invalidArgument) }
        synthesisClient.close()
        await synthesis.shutdown()

        // Refinement: a one-step Train job, then Refine with its model.
        var refinementConfiguration = RefinementService.Configuration()
        refinementConfiguration.artifactRoot = root.appendingPathComponent("artifacts")
        let service = try RefinementService(refinementConfiguration)
        serverConfiguration.endpoint = "inproc://refinement-\(UUID().uuidString)"
        let refinement = RPCServer(service: service.definition, configuration: serverConfiguration)
        let client = try RPCClient(endpoint: try refinement.start())
        var train = Annotator_V1_RefinerTrainRequest()
        train.pool.path = poolFolder.path
        train.synthetic.path = root.appendingPathComponent("synthetic").path
        train.steps = 1
        train.seed = 2
        let started: Annotator_V1_JobStatus = try await client.unary("Train", train)
        let ended = try await service.jobs.wait(started.jobID)
        XCTAssertEqual(ended.state, .succeeded, ended.message)
        XCTAssertEqual(ended.result.kind, RefinementService.modelKind)

        var refine = Annotator_V1_RefineRequest()
        refine.model = ended.result
        refine.images = [Annotator_V1_Image(image, name: "a"), Annotator_V1_Image(image, name: "b")]
        refine.weights = true
        let refined: Annotator_V1_RefineResponse = try await client.unary("Refine", refine)
        XCTAssertEqual(refined.images.count, 2)
        XCTAssertEqual(try refined.images[0].rgbImage(field: "image").width, 64)
        XCTAssertEqual(refined.weights.reduce(0, +) / 2, 1, accuracy: 1e-9)
        // A missing model and an empty batch are the caller's errors.
        refine.images = []
        do {
            let _: Annotator_V1_RefineResponse = try await client.unary("Refine", refine)
            XCTFail("expected INVALID_ARGUMENT")
        } catch { XCTAssertEqual(error.status, .invalidArgument) }
        train.steps = 0
        do {
            let _: Annotator_V1_JobStatus = try await client.unary("Train", train)
            XCTFail("expected INVALID_ARGUMENT")
        } catch { XCTAssertEqual(error.status, .invalidArgument) }
        client.close()
        await refinement.shutdown()
    }
}
