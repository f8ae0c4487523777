import Clients
import Foundation
import HoVerNet
@testable import HoVerNetService
import Imaging
import TestSupport
import Wire
import XCTest

/// The HoVerNet service over the wire: a tiny training job on the bundled sample, its
/// progress and result, inference with the trained model, and bad requests.
final class HoVerNetServiceTests: XCTestCase {
    private var server: RPCServer!
    private var client: HoVerNetClient!

    override func setUp() async throws {
        var configuration = HoVerNetService.Configuration()
        configuration.artifactRoot = TestPaths.temporaryDirectory("hovernet-store")
        let service = try HoVerNetService(configuration)
        var serverConfiguration = ServerConfiguration(endpoint: TestPaths.ipcEndpoint("hovernet"))
        serverConfiguration.log = { _ in }
        server = RPCServer(service: service.definition, configuration: serverConfiguration)
        client = HoVerNetClient(rpc: try RPCClient(endpoint: try server.start()))
    }

    override func tearDown() async throws {
        client.rpc.close()
        await server.shutdown()
    }

    private var sample: String { TestPaths.repository.appendingPathComponent("Samples/monuseg-mini").path }

    /// A training request small enough to finish within a second: 64-px patches, batch 2.
    private func tinyTrainRequest(data: String, steps: UInt32, configurationJSON: String) -> Annotator_V1_HoVerNetTrainRequest {
        var request = Annotator_V1_HoVerNetTrainRequest()
        request.data.path = data
        request.steps = steps
        request.patchSize = 64
        request.batchSize = 2
        request.configurationJson = configurationJSON
        return request
    }

    /// The first image of a folder dataset.
    private func firstImage(of dataset: String) throws -> RGBImage {
        let images = URL(fileURLWithPath: dataset).appendingPathComponent("images")
        return try ImageFiles.readRGB(try XCTUnwrap(ImageFiles.listImages(in: images).first))
    }

    func testTrainJobThenInferWithTheTrainedModel() async throws {
        var request = tinyTrainRequest(data: sample, steps: 2,
                                       configurationJSON: #"{"widths":[8,16],"encoderConvs":1,"decoderConvs":1,"headWidth":8,"typeClasses":0}"#)
        request.seed = 1
        let started = try await client.train(request)
        XCTAssertTrue([.queued, .running].contains(started.state))
        let ended = try await client.jobs.wait(started.jobID, every: .milliseconds(50))
        XCTAssertEqual(ended.state, .succeeded, ended.message)
        XCTAssertEqual(ended.step, 2)
        XCTAssertEqual(ended.result.sha256.count, 64)
        XCTAssertEqual(ended.result.kind, "hovernet-model")

        let image = try firstImage(of: sample)
        var model = Annotator_V1_ArtifactRef()
        model.sha256 = ended.result.sha256
        let (labels, uncertainty, types) = try await client.infer(image, model: model)
        XCTAssertEqual(labels.width, image.width)
        XCTAssertEqual(labels.height, image.height)
        XCTAssertTrue(uncertainty >= 0 && uncertainty <= 1)
        XCTAssertTrue(types.isEmpty, "a model without an NC head names no types")
    }

    /// A folder with type_maps/ trains the NC head of a model that has one, and Infer names
    /// each nucleus's type.
    func testTypedDataTrainsTheNCHeadAndInferNamesTypes() async throws {
        let folder = TestPaths.temporaryDirectory("hovernet-typed")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: sample), to: folder.appendingPathComponent("data"))
        let data = folder.appendingPathComponent("data")
        let typeMaps = data.appendingPathComponent("type_maps")
        try FileManager.default.createDirectory(at: typeMaps, withIntermediateDirectories: true)
        for mask in try ImageFiles.listImages(in: data.appendingPathComponent("instance_masks")) {
            var types = try ImageFiles.readLabelMap(mask)
            for index in 0..<types.count where types.storage[index] != 0 { types.storage[index] = types.storage[index] % 2 + 1 }
            try ImageFiles.writeLabelMap(types, to: typeMaps.appendingPathComponent(mask.lastPathComponent))
        }
        let request = tinyTrainRequest(data: data.path, steps: 1,
                                       configurationJSON: #"{"widths":[8,16],"encoderConvs":1,"decoderConvs":1,"headWidth":8,"typeClasses":3}"#)
        let started = try await client.train(request)
        let ended = try await client.jobs.wait(started.jobID, every: .milliseconds(50))
        XCTAssertEqual(ended.state, .succeeded, ended.message)

        let image = try firstImage(of: data.path)
        var model = Annotator_V1_ArtifactRef()
        model.sha256 = ended.result.sha256
        let (labels, _, types) = try await client.infer(image, model: model)
        XCTAssertEqual(Set(types.keys), Set(labels.instanceIDs))
        XCTAssertTrue(types.values.allSatisfy { $0 < 3 })
    }

    func testTrainingTunesPostProcessingOnTheValidationSet() async throws {
        var request = tinyTrainRequest(data: sample, steps: 1,
                                       configurationJSON: #"{"widths":[4,8],"encoderConvs":1,"decoderConvs":1,"headWidth":4,"typeClasses":0}"#)
        request.validation.path = sample
        request.tunePostProcessing = true
        let started = try await client.train(request)
        let ended = try await client.jobs.wait(started.jobID, every: .milliseconds(50))
        XCTAssertEqual(ended.state, .succeeded, ended.message)
        let edge = try XCTUnwrap(ended.metrics["postprocessing_edge_threshold"])
        let stored = try Checkpoint.info(at: URL(fileURLWithPath: ended.result.uri))
        XCTAssertEqual(Double(try XCTUnwrap(stored.postProcessing).edgeThreshold), edge, accuracy: 1e-6)

        request.validation.path = ""
        do {
            _ = try await client.train(request)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("tune_post_processing"), error.message)
        }
    }

    /// The recipe a client sets from its options is the recipe the service trains with; an
    /// unset recipe keeps the defaults.
    func testTrainingRecipeCrossesTheWireUnchanged() throws {
        var options = TrainingOptions(steps: 1)
        options.learningRate = 0.003
        options.lossWeights = LossWeights(crossEntropy: 0.5, dice: 1, mse: 3, msge: 0)
        options.augmentation.flipsAndRotations = false
        options.augmentation.hedShift = 0
        options.augmentation.elasticProbability = 0.25
        options.augmentation.saturation = 0.1
        var request = Annotator_V1_HoVerNetTrainRequest()
        request.setRecipe(options)
        var received = TrainingOptions(steps: 1)
        try received.applyRecipe(of: request)
        XCTAssertEqual(received.learningRate, options.learningRate)
        XCTAssertEqual(received.lossWeights, options.lossWeights)
        XCTAssertEqual(received.augmentation, options.augmentation)

        var defaults = TrainingOptions(steps: 1)
        try defaults.applyRecipe(of: Annotator_V1_HoVerNetTrainRequest())
        XCTAssertEqual(defaults.learningRate, TrainingOptions().learningRate)
        XCTAssertEqual(defaults.lossWeights, LossWeights())
        XCTAssertEqual(defaults.augmentation, AugmentationOptions())
    }

    /// `hold_out` validates on images of the training folder, as `hovernet train --hold-out`.
    func testHoldOutValidatesOnImagesOfTheTrainingFolder() async throws {
        var request = tinyTrainRequest(data: sample, steps: 1,
                                       configurationJSON: #"{"widths":[4,8],"encoderConvs":1,"decoderConvs":1,"headWidth":4,"typeClasses":0}"#)
        request.holdOut = 1
        request.setRecipe(TrainingOptions(steps: 1))
        let started = try await client.train(request)
        let ended = try await client.jobs.wait(started.jobID, every: .milliseconds(50))
        XCTAssertEqual(ended.state, .succeeded, ended.message)
        XCTAssertNotNil(ended.metrics["val_dice"], "a held-out image was validated on")
    }

    func testBadRecipesNameTheField() async throws {
        let base = tinyTrainRequest(data: sample, steps: 1, configurationJSON: "")
        var cases: [(String, Annotator_V1_HoVerNetTrainRequest)] = []
        var request = base
        request.holdOut = 1
        request.validation.path = sample
        cases.append(("hold_out", request))
        request = base
        request.holdOut = 100
        cases.append(("hold_out", request))
        request = base
        request.learningRate = -1
        cases.append(("learning_rate", request))
        request = base
        request.lossWeights = .with { $0.msge = -1 }
        cases.append(("loss_weights", request))
        request = base
        request.setRecipe(TrainingOptions(steps: 1))
        request.augmentation.elasticProbability = 2
        cases.append(("elastic_probability", request))
        for (field, request) in cases {
            do {
                _ = try await client.train(request)
                XCTFail("expected an error naming \(field)")
            } catch {
                XCTAssertEqual(error.status, .invalidArgument)
                XCTAssertTrue(error.message.contains(field), error.message)
            }
        }
    }

    func testBadRequestsNameTheProblem() async throws {
        var request = Annotator_V1_HoVerNetTrainRequest()
        request.data.path = "/nonexistent/dataset"
        request.steps = 1
        do {
            _ = try await client.train(request)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("/nonexistent/dataset"), error.message)
        }
        request.data.path = sample
        request.steps = 0
        do {
            _ = try await client.train(request)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.message.contains("budget"), error.message)
        }
        var unknown = Annotator_V1_ArtifactRef()
        unknown.sha256 = String(repeating: "0", count: 64)
        do {
            _ = try await client.infer(RGBImage(width: 8, height: 8), model: unknown)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .notFound)
        }
        do {
            _ = try await client.jobs.job("no-such-job")
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .notFound)
        }
    }
}
