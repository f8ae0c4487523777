import CAnnotatorClient
import Clients
import Foundation
import Imaging
import Metrics
import MetricsService
import TestSupport
import Wire
import XCTest

/// The metrics service end to end: Swift client and C client against a served instance.
final class MetricsServiceTests: XCTestCase {
    private var server: RPCServer!
    private var endpoint = ""

    override func setUp() async throws {
        var configuration = ServerConfiguration(endpoint: TestPaths.ipcEndpoint("metrics"))
        configuration.log = { _ in }
        server = RPCServer(service: MetricsService.definition(), configuration: configuration)
        endpoint = try server.start()
    }

    override func tearDown() async throws {
        await server.shutdown()
    }

    private func golden(_ name: String) throws -> (gt: LabelMap, pred: LabelMap, expected: [String: Any]) {
        let folder = TestPaths.metricFixtures.appendingPathComponent(name)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        return (try ImageFiles.readLabelMap(folder.appendingPathComponent("gt.png")),
                try ImageFiles.readLabelMap(folder.appendingPathComponent("pred.png")),
                expected as? [String: Any] ?? [:])
    }

    func testEvaluateOverTheWireMatchesTheGoldenValues() async throws {
        let names = ["merge_two", "iou_exactly_half", "monuseg_crop_0", "monuseg_full_1"]
        let cases = try names.map(golden)
        let client = try RPCClient(endpoint: endpoint)
        defer { client.close() }
        let report = try await MetricsClient(rpc: client).evaluate(zip(names, cases).map { ($0, $1.gt, $1.pred) })
        XCTAssertEqual(report.images.map(\.name), names)
        for (image, testCase) in zip(report.images, cases) {
            XCTAssertEqual(image.scores.aji, testCase.expected["aji"] as! Double, accuracy: 1e-6, image.name)
            XCTAssertEqual(image.scores.ajiPlus, testCase.expected["aji_plus"] as! Double, accuracy: 1e-6, image.name)
            XCTAssertEqual(image.scores.pq, testCase.expected["pq"] as! Double, accuracy: 1e-6, image.name)
            XCTAssertEqual(image.scores.dice2, testCase.expected["dice2"] as! Double, accuracy: 1e-6, image.name)
        }
        let mean = try XCTUnwrap(report.mean)
        let expectedMean = cases.map { $0.expected["dice1"] as! Double }.reduce(0, +) / Double(cases.count)
        XCTAssertEqual(mean.dice1, expectedMean, accuracy: 1e-9)
    }

    func testUnscoredImagesAreLeftOutOfTheMean() async throws {
        let client = try RPCClient(endpoint: endpoint)
        defer { client.close() }
        var one = LabelMap(width: 4, height: 4, repeating: 0)
        one[1, 1] = 3
        let empty = LabelMap(width: 4, height: 4, repeating: 0)
        let report = try await MetricsClient(rpc: client).evaluate([("empty", empty, empty), ("one", one, one)])
        XCTAssertFalse(report.images[0].scores.scored)
        XCTAssertEqual(report.mean?.dice1, 1)
    }

    func testBadInputGetsInvalidArgumentAndTheServiceKeepsServing() async throws {
        let client = try RPCClient(endpoint: endpoint)
        defer { client.close() }
        let metrics = MetricsClient(rpc: client)
        do {
            _ = try await metrics.evaluate([("odd", LabelMap(width: 4, height: 4, repeating: 0), LabelMap(width: 5, height: 4, repeating: 1))])
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("'odd'") && error.message.contains("5×4"), error.message)
        }
        var request = Annotator_V1_EvaluateRequest()
        var pair = Annotator_V1_MetricsPair()
        pair.groundTruth = Annotator_V1_LabelMap(LabelMap(width: 3, height: 3, repeating: 1))
        pair.prediction.width = 3
        pair.prediction.height = 3
        pair.prediction.labels = Data(count: 7)
        request.pairs = [pair]
        do {
            let _: Annotator_V1_EvaluateResponse = try await client.unary("Evaluate", request)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
            XCTAssertTrue(error.message.contains("prediction") && error.message.contains("36 bytes"), error.message)
        }
        do {
            let _: Annotator_V1_EvaluateResponse = try await client.unary("Evaluate", Annotator_V1_EvaluateRequest())
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.status, .invalidArgument)
        }
        let health = try await client.health()
        XCTAssertEqual(health.status, .serving)
    }

    /// The C client library (protobuf-c + libzmq) against this Swift service.
    func testCClientGetsTheSameNumbers() throws {
        let testCase = try golden("monuseg_crop_2")
        let endpoint = self.endpoint
        let (gtMap, predMap) = (testCase.gt, testCase.pred)
        let scores: ann_scores = try XCTUnwrap(Thread.runBlocking {
            guard let client = ann_client_connect(endpoint, 10_000) else { return nil }
            defer { ann_client_close(client) }
            var serving: Int32 = 0
            guard ann_health(client, &serving) == ANN_STATUS_OK, serving == 1 else { return nil }
            var scores = ann_scores()
            let status = gtMap.storage.withUnsafeBufferPointer { gt in
                predMap.storage.withUnsafeBufferPointer { pred in
                    ann_metrics_evaluate(client, gt.baseAddress, pred.baseAddress, UInt32(gtMap.width),
                                         UInt32(gtMap.height), &scores)
                }
            }
            return status == ANN_STATUS_OK ? scores : nil
        })
        XCTAssertEqual(scores.aji, testCase.expected["aji"] as! Double, accuracy: 1e-6)
        XCTAssertEqual(scores.pq, testCase.expected["pq"] as! Double, accuracy: 1e-6)
        XCTAssertEqual(Int(scores.n_gt), testCase.expected["n_gt"] as! Int)
    }
}

extension Thread {
    /// Runs blocking C code on its own thread (the C client blocks in zmq_poll).
    static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return result.value!
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
