import Imaging
import Metrics
import XCTest
@testable import HoVerNet

final class PostProcessingTests: XCTestCase {
    /// Ideal network outputs (NP = the mask, HV = the targets) of `labels`.
    private func ideal(_ labels: LabelMap) -> (Plane, Plane, Plane) {
        let targets = LabelMapTargets(labels)
        return (targets.np.map { $0 ? 1 : 0 }, targets.horizontal, targets.vertical)
    }

    func testTwoTouchingDisksAreTwoInstances() throws {
        let labels = disks(width: 56, height: 40, [(20, 20, 9), (35, 20, 9)])
        XCTAssertEqual(ConnectedComponents.label(labels.foreground).instanceIDs.count, 1, "the disks must touch")
        let (p, h, v) = ideal(labels)
        let result = try PostProcessor().instances(probability: p, horizontal: h, vertical: v)
        XCTAssertEqual(result.instanceIDs.count, 2)
        let scores = try SegmentationMetrics.evaluate(groundTruth: labels, prediction: result)
        XCTAssertGreaterThan(scores.aji, 0.85)
        XCTAssertEqual(scores.dq, 1, accuracy: 1e-9)
    }

    func testSeparateDisksAndSmallSpecks() throws {
        var labels = disks(width: 64, height: 64, [(15, 15, 7), (45, 40, 10), (15, 48, 6)])
        labels[60, 2] = 9; labels[61, 2] = 9   // a 2-pixel speck: removed as a small object
        let (p, h, v) = ideal(labels)
        let result = try PostProcessor().instances(probability: p, horizontal: h, vertical: v)
        XCTAssertEqual(result.instanceIDs.count, 3)
        XCTAssertEqual(result[60, 2], 0)
    }

    func testEmptyAndUniformMaps() throws {
        let zero = Plane(width: 20, height: 12, repeating: 0)
        XCTAssertEqual(try PostProcessor().instances(probability: zero, horizontal: zero, vertical: zero).maxLabel, 0)
        let empty = Plane(width: 0, height: 0, repeating: 0)
        XCTAssertEqual(try PostProcessor().instances(probability: empty, horizontal: empty, vertical: empty).count, 0)
        XCTAssertThrowsError(try PostProcessor().instances(probability: zero, horizontal: empty, vertical: zero))
    }

    /// OpenCV's 21-tap Sobel: the derivative taps sum to 0, are odd, and a ramp gives a
    /// constant positive response.
    func testOpenCVSobelKernels() {
        let (smoothing, derivative) = OpenCVSobel.kernels(size: 21)
        XCTAssertEqual(smoothing.count, 21)
        XCTAssertEqual(derivative.count, 21)
        XCTAssertEqual(derivative.reduce(0, +), 0, accuracy: 1e-6)
        XCTAssertEqual(derivative[0], -derivative[20], accuracy: 1e-9)
        XCTAssertLessThan(derivative[0], 0)
        // cv2.getDerivKernels(1, 0, 5): [-1, -2, 0, 2, 1].
        let five = OpenCVSobel.kernels(size: 5).derivative.map { $0 * 6 }
        for (a, b) in zip(five, [-1, -2, 0, 2, 1] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        var ramp = Plane(width: 40, height: 30, repeating: 0)
        for y in 0..<30 { for x in 0..<40 { ramp[x, y] = Float(x) } }
        let gx = OpenCVSobel.apply(ramp, size: 21, derivativeAlongX: true)
        XCTAssertGreaterThan(gx[20, 15], 0)
        XCTAssertEqual(gx[20, 15], gx[19, 3], accuracy: 1e-4)
    }
}
