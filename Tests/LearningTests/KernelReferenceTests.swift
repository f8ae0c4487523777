@testable import Learning
import XCTest

/// Every fast kernel against a naive loop written for clarity, not speed.
final class KernelReferenceTests: XCTestCase {
    override func tearDown() {
        Threads.count = 2
        ConvTuning.blockFloats = 131_072
    }

    /// Direct NHWC convolution in Double, with the gradients of Σ y ⊙ probe.
    func naiveConv(x: Tensor, w: Tensor, b: Tensor, stride: Int, padding: Int, dilation: Int, relu: Bool, probe: Tensor?)
        -> (y: [Double], dx: [Double], dw: [Double], db: [Double]) {
        let (n, h, wd, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout) = (w.shape[0], w.shape[1], w.shape[3])
        let oh = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
        let ow = (wd + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
        var y = [Double](repeating: 0, count: n * oh * ow * cout)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count), db = [Double](repeating: 0, count: cout)
        for pass in 0..<2 {
            for b0 in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for co in 0..<cout {
                let o = ((b0 * oh + oy) * ow + ox) * cout + co
                var gradient = 0.0
                if pass == 1 {
                    guard let probe else { continue }
                    gradient = (relu && y[o] <= 0) ? 0 : Double(probe.data[o])
                    db[co] += gradient
                }
                var total = Double(b.data[co])
                for i in 0..<kh { for j in 0..<kw {
                    let iy = oy * stride - padding + i * dilation, ix = ox * stride - padding + j * dilation
                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                    for ci in 0..<cin {
                        let xi = ((b0 * h + iy) * wd + ix) * cin + ci, wi = ((i * kw + j) * cin + ci) * cout + co
                        if pass == 0 { total += Double(x.data[xi]) * Double(w.data[wi]) } else {
                            dx[xi] += gradient * Double(w.data[wi]); dw[wi] += gradient * Double(x.data[xi])
                        }
                    }
                } }
                if pass == 0 { y[o] = relu ? max(total, 0) : total }
            } } } }
        }
        return (y, dx, dw, db)
    }

    func testConvMatchesNaiveAcrossGeometriesThreadsAndBlocks() throws {
        let geometries: [(n: Int, h: Int, w: Int, cin: Int, cout: Int, k: Int, stride: Int, padding: Int, dilation: Int, relu: Bool)] = [
            (2, 7, 6, 3, 5, 3, 1, 1, 1, true),
            (1, 9, 8, 4, 3, 3, 2, 1, 1, false),
            (1, 10, 9, 2, 4, 3, 1, 2, 2, true),
            (2, 5, 5, 6, 4, 1, 1, 0, 1, true),
            (1, 8, 7, 3, 2, 5, 2, 2, 1, false),
            (1, 6, 6, 2, 3, 2, 1, 0, 1, false),
            (1, 4, 5, 3, 2, 1, 2, 0, 1, false),
        ]
        for (index, g) in geometries.enumerated() {
            for (threads, blockFloats) in [(1, 131_072), (2, 64), (2, 131_072)] {
                Threads.count = threads
                ConvTuning.blockFloats = blockFloats
                let x = randomTensor([g.n, g.h, g.w, g.cin], seed: UInt64(index), requiresGrad: true)
                let w = randomTensor([g.k, g.k, g.cin, g.cout], seed: UInt64(index + 100), requiresGrad: true)
                let b = randomTensor([g.cout], seed: UInt64(index + 200), requiresGrad: true)
                let y = try F.conv2d(x, weight: w, bias: b, stride: g.stride, padding: g.padding, dilation: g.dilation,
                                     activation: g.relu ? .relu : .none)
                let probe = randomTensor(y.shape, seed: 7)
                let reference = naiveConv(x: x, w: w, b: b, stride: g.stride, padding: g.padding, dilation: g.dilation,
                                          relu: g.relu, probe: probe)
                let label = "geometry \(index) threads \(threads) block \(blockFloats)"
                assertClose(y, try Tensor(shape: y.shape, values: reference.y.map(Float.init)), label)
                try probed(y, probe).backward()
                assertClose(x.grad, try Tensor(shape: x.shape, values: reference.dx.map(Float.init)), "\(label) dx")
                assertClose(w.grad, try Tensor(shape: w.shape, values: reference.dw.map(Float.init)), "\(label) dw")
                assertClose(b.grad, try Tensor(shape: b.shape, values: reference.db.map(Float.init)), "\(label) db")
            }
        }
    }

    func testMatmulMatchesNaive() throws {
        for threads in [1, 2] {
            Threads.count = threads
            let a = randomTensor([37, 13], seed: 1, requiresGrad: true), b = randomTensor([13, 29], seed: 2, requiresGrad: true)
            let y = try F.matmul(a, b)
            var expected = [Float](repeating: 0, count: 37 * 29)
            for i in 0..<37 { for j in 0..<29 { var t = 0.0; for k in 0..<13 { t += Double(a.data[i * 13 + k] * b.data[k * 29 + j]) }; expected[i * 29 + j] = Float(t) } }
            assertClose(y, try Tensor(shape: [37, 29], values: expected), "threads \(threads)")
        }
    }

    func testMaxPoolAndUpsamplingMatchNaive() throws {
        let x = randomTensor([2, 7, 6, 5], seed: 3)
        let pooled = try F.maxPool2d(x, kernel: 3, stride: 2)
        XCTAssertEqual(pooled.shape, [2, 3, 2, 5])
        for b in 0..<2 { for oy in 0..<3 { for ox in 0..<2 { for c in 0..<5 {
            var best = -Float.infinity
            for i in 0..<3 { for j in 0..<3 { best = max(best, x.data[((b * 7 + oy * 2 + i) * 6 + ox * 2 + j) * 5 + c]) } }
            XCTAssertEqual(pooled.data[((b * 3 + oy) * 2 + ox) * 5 + c], best)
        } } } }
        let up = try F.upsampleNearest(x, factor: 3)
        for b in 0..<2 { for y in 0..<21 { for xx in 0..<18 { for c in 0..<5 {
            XCTAssertEqual(up.data[((b * 21 + y) * 18 + xx) * 5 + c], x.data[((b * 7 + y / 3) * 6 + xx / 3) * 5 + c])
        } } } }
        // Bilinear ×2 of a linear ramp is the ramp at half-pixel centres away from the border.
        let ramp = Tensor(zeros: [1, 4, 4, 1])
        for y in 0..<4 { for xx in 0..<4 { ramp.data[y * 4 + xx] = Float(xx) } }
        let smooth = try F.upsampleBilinear(ramp)
        XCTAssertEqual(smooth.data[2 * 8 + 3], 1.25, accuracy: 1e-6)
        XCTAssertEqual(smooth.data[2 * 8 + 0], 0, accuracy: 1e-6)
        XCTAssertEqual(smooth.data[2 * 8 + 7], 3, accuracy: 1e-6)
    }

    func testSoftmaxRowsSumToOneAndMatchDefinition() throws {
        let x = randomTensor([3, 4, 6], seed: 5, scale: 4)
        let y = try F.softmax(x), logY = try F.logSoftmax(x)
        for row in 0..<12 {
            var total: Double = 0
            for c in 0..<6 { total += exp(Double(x.data[row * 6 + c])) }
            for c in 0..<6 {
                XCTAssertEqual(Double(y.data[row * 6 + c]), exp(Double(x.data[row * 6 + c])) / total, accuracy: 1e-6)
                XCTAssertEqual(Double(logY.data[row * 6 + c]), Double(x.data[row * 6 + c]) - log(total), accuracy: 1e-5)
            }
        }
    }
}
