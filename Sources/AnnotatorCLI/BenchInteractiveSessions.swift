import Clients
import Datasets
import Foundation
import Imaging
import Interactive
import Orchestrator
import InteractiveService
import Wire

/// Click latency through the interactive service with several sessions clicking at once,
/// as lab tools would: each session is a client over the wire (inproc) annotating its own
/// nuclei with the robot clicker.
enum InteractiveSessionsBench {
    struct Figures {
        var p50Ms: Double
        var p99Ms: Double
        var clicksPerSecond: Double
        var clicks: Int
    }

    static func run(model: URL, data: FolderDataset, sessions: Int, nucleiPerSession: Int, clicksPerNucleus: Int) async throws -> Figures {
        var configuration = InteractiveService.Configuration()
        configuration.artifactRoot = FileManager.default.temporaryDirectory.appendingPathComponent("annotator-bench-\(UUID().uuidString.prefix(8))")
        configuration.defaultModel = model
        configuration.sessions.capacity = max(16, sessions)
        defer { try? FileManager.default.removeItem(at: configuration.artifactRoot) }
        let service = try EmbeddedService.start(try InteractiveService(configuration).definition)
        do {
            let figures = try await measure(InteractiveClient(rpc: service.client), data: data, sessions: sessions,
                                            nucleiPerSession: nucleiPerSession, clicksPerNucleus: clicksPerNucleus)
            await service.stop()
            return figures
        } catch {
            await service.stop()
            throw error
        }
    }

    private static func measure(_ client: InteractiveClient, data: FolderDataset, sessions: Int, nucleiPerSession: Int,
                                clicksPerNucleus: Int) async throws -> Figures {

        // Each session gets a 256×256 crop around the centre of a different image.
        var work: [(image: RGBImage, nuclei: [Mask])] = []
        for index in 0..<sessions {
            let sample = data.samples[index % data.samples.count]
            let pair = try data.load(sample)
            let side = min(256, pair.image.width, pair.image.height)
            let rect = CropRect(x: (pair.image.width - side) / 2, y: (pair.image.height - side) / 2, width: side, height: side)
            let crop = try Crops.crop(pair, rect)
            work.append((crop.image, Array(SimulatedAnnotator.nucleusMasks(crop.labels, minimumArea: 20).prefix(nucleiPerSession))))
        }
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (image, nuclei) in work {
                group.addTask {
                    let session = try await client.openSession(image, model: nil)
                    var sequence: UInt64 = 0
                    var times: [Double] = []
                    for nucleus in nuclei {
                        var robot = RobotClicker(groundTruth: nucleus)
                        var prediction = Mask(width: image.width, height: image.height, repeating: false)
                        for _ in 0..<clicksPerNucleus {
                            guard let click = robot.nextClick(prediction: prediction) else { break }
                            sequence += 1
                            let before = ContinuousClock.now
                            let reply = try await client.click(session: session.sessionID, x: click.x, y: click.y,
                                                               positive: click.positive, sequence: sequence)
                            times.append((ContinuousClock.now - before).milliseconds)
                            prediction = try reply.fullMask(width: image.width, height: image.height)
                            if intersectionOverUnion(prediction, nucleus) >= 0.85 { break }
                        }
                        sequence += 1
                        _ = try? await client.acceptObject(session: session.sessionID, sequence: sequence)
                    }
                    _ = try await client.finish(session: session.sessionID)
                    return times
                }
            }
            var all: [Double] = []
            for try await times in group { all += times }
            return all
        }
        let seconds = (ContinuousClock.now - started).milliseconds / 1000
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
        return Figures(p50Ms: percentile(0.5), p99Ms: percentile(0.99), clicksPerSecond: Double(sorted.count) / max(seconds, 1e-9),
                       clicks: sorted.count)
    }
}
