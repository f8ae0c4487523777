@testable import Learning
import XCTest

/// Every fast kernel against a naive loop written for clarity, not speed.
final class KernelReferenceTests: XCTestCase {
    override func tearDown() {
        Threads.count = 2
        ConvTuning.blockFloats = 131_072
    }

    /// Direct NHWC convolution in Double, with the gradients of Σ y ⊙ probe.
    func naiveConv(x: Tensor, w: Tensor, b: Tensor, stride: Int, padding: Int, dilation: Int, groups: Int = 1, relu: Bool, probe: Tensor?)
        -> (y: [Double], dx: [Double], dw: [Double], db: [Double]) {
        let (n, h, wd, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout, cinG) = (w.shape[0], w.shape[1], w.shape[3], w.shape[2])
        let coutG = cout / groups
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
                    for cj in 0..<cinG {
                        let ci = (co / coutG) * cinG + cj
                        let xi = ((b0 * h + iy) * wd + ix) * cin + ci, wi = ((i * kw + j) * cinG + cj) * cout + co
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
        let geometries: [(n: Int, h: Int, w: Int, cin: Int, cout: Int, k: Int, stride: Int, padding: Int, dilation: Int, relu: Bool, groups: Int)] = [
            (2, 7, 6, 3, 5, 3, 1, 1, 1, true, 1),
            (1, 9, 8, 4, 3, 3, 2, 1, 1, false, 1),
            (1, 10, 9, 2, 4, 3, 1, 2, 2, true, 1),
            (2, 5, 5, 6, 4, 1, 1, 0, 1, true, 1),
            (1, 8, 7, 3, 2, 5, 2, 2, 1, false, 1),
            (1, 6, 6, 2, 3, 2, 1, 0, 1, false, 1),
            (1, 4, 5, 3, 2, 1, 2, 0, 1, false, 1),
            (1, 6, 5, 17, 18, 3, 1, 1, 1, true, 1),  // vector paths plus tails
            (2, 4, 4, 16, 33, 1, 1, 0, 1, true, 1),
            (2, 6, 5, 6, 4, 3, 1, 1, 1, true, 2),    // grouped
            (1, 7, 7, 4, 4, 3, 2, 1, 1, false, 4),   // depthwise, strided
            (2, 4, 3, 6, 9, 1, 1, 0, 1, true, 3),    // grouped 1×1
        ]
        for (index, g) in geometries.enumerated() {
            for (threads, blockFloats) in [(1, 131_072), (2, 64), (2, 131_072)] {
                Threads.count = threads
                ConvTuning.blockFloats = blockFloats
                let x = randomTensor([g.n, g.h, g.w, g.cin], seed: UInt64(index), requiresGrad: true)
                let w = randomTensor([g.k, g.k, g.cin / g.groups, g.cout], seed: UInt64(index + 100), requiresGrad: true)
                let b = randomTensor([g.cout], seed: UInt64(index + 200), requiresGrad: true)
                let y = try F.conv2d(x, weight: w, bias: b, stride: g.stride, padding: g.padding, dilation: g.dilation,
                                     groups: g.groups, activation: g.relu ? .relu : .none)
                let probe = randomTensor(y.shape, seed: 7)
                let reference = naiveConv(x: x, w: w, b: b, stride: g.stride, padding: g.padding, dilation: g.dilation,
                                          groups: g.groups, relu: g.relu, probe: probe)
                let label = "geometry \(index) threads \(threads) block \(blockFloats)"
                assertClose(y, try Tensor(shape: y.shape, values: reference.y.map(Float.init)), label)
                try probed(y, probe).backward()
                assertClose(x.grad, try Tensor(shape: x.shape, values: reference.dx.map(Float.init)), "\(label) dx")
                assertClose(w.grad, try Tensor(shape: w.shape, values: reference.dw.map(Float.init)), "\(label) dw")
                assertClose(b.grad, try Tensor(shape: b.shape, values: reference.db.map(Float.init)), "\(label) db")
            }
        }
    }

    func testPermuteMatchesIndexArithmetic() throws {
        let x = randomTensor([2, 3, 4, 5], seed: 41)
        let y = try F.permute(x, [0, 2, 3, 1])  // NCHW → NHWC
        XCTAssertEqual(y.shape, [2, 4, 5, 3])
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            XCTAssertEqual(y.data[((n * 4 + h) * 5 + w) * 3 + c], x.data[((n * 3 + c) * 4 + h) * 5 + w])
        } } } }
        XCTAssertEqual(try F.permute(y, [0, 3, 1, 2]).values, x.values)
        XCTAssertThrowsError(try F.permute(x, [0, 1, 1, 2]))
    }

    /// Large enough to take the multi-threaded paths.
    func testChannelConcatAndSliceMatchNaive() throws {
        let a = randomTensor([2, 48, 40, 3], seed: 51, requiresGrad: true), b = randomTensor([2, 48, 40, 5], seed: 52, requiresGrad: true)
        let y = try F.concat([a, b], axis: 3)
        for p in 0..<(2 * 48 * 40) {
            for c in 0..<3 { XCTAssertEqual(y.data[p * 8 + c], a.data[p * 3 + c]) }
            for c in 0..<5 { XCTAssertEqual(y.data[p * 8 + 3 + c], b.data[p * 5 + c]) }
        }
        let probe = randomTensor(y.shape, seed: 53)
        try probed(y, probe).backward()
        assertClose(a.grad, try F.slice(probe, axis: 3, range: 0..<3), "da")
        assertClose(b.grad, try F.slice(probe, axis: 3, range: 3..<8), "db")
        XCTAssertEqual(try F.slice(y, axis: 3, range: 3..<8).values, b.values)
    }

    func testLargeSameShapeArithmeticMatchesScalar() throws {
        let a = randomTensor([3, 70_001], seed: 61, requiresGrad: true), b = randomTensor([3, 70_001], seed: 62, requiresGrad: true)
        let sum = try F.add(a, b), difference = try F.sub(a, b), product = try F.mul(a, b)
        for i in Swift.stride(from: 0, to: a.count, by: 997) + [a.count - 1] {
            XCTAssertEqual(sum.data[i], a.data[i] + b.data[i])
            XCTAssertEqual(difference.data[i], a.data[i] - b.data[i])
            XCTAssertEqual(product.data[i], a.data[i] * b.data[i])
        }
        try F.sum(try F.add(try F.sub(sum, difference), product)).backward()  // d/da = 1 − 1 + b, d/db = 1 + 1 + a
        for i in Swift.stride(from: 0, to: a.count, by: 997) {
            XCTAssertEqual(a.grad!.data[i], b.data[i], accuracy: 1e-6)
            XCTAssertEqual(b.grad!.data[i], 2 + a.data[i], accuracy: 1e-6)
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

    /// The vectorised (16-channel) paths against the scalar ones, channel by channel.
    func testWideChannelPoolingAndUpsamplingMatchPerChannelResults() throws {
        let (n, h, w, c) = (2, 6, 4, 19)
        let x = randomTensor([n, h, w, c], seed: 11, requiresGrad: true)
        // ReLU-like input: many exact ties at zero, where the first element must win.
        for i in 0..<x.count where x.data[i] < 0.2 { x.data[i] = 0 }
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("maxPool", { try F.maxPool2d($0, kernel: 2) }),
            ("maxPool overlapping", { try F.maxPool2d($0, kernel: 3, stride: 1) }),
            ("bilinear", { try F.upsampleBilinear($0) }),
        ]
        for (name, op) in ops {
            x.zeroGrad()
            let y = try op(x)
            let probe = randomTensor(y.shape, seed: 12)
            try probed(y, probe).backward()
            for channel in 0..<c {
                let xc = try F.slice(x.detached(), axis: 3, range: channel..<(channel + 1)).detached(requiresGrad: true)
                let yc = try op(xc)
                try probed(yc, try F.slice(probe, axis: 3, range: channel..<(channel + 1))).backward()
                assertClose(try F.slice(y, axis: 3, range: channel..<(channel + 1)), yc, "\(name) channel \(channel)")
                assertClose(try F.slice(try XCTUnwrap(x.grad), axis: 3, range: channel..<(channel + 1)), try XCTUnwrap(xc.grad),
                            "\(name) gradient channel \(channel)")
            }
        }
    }

    /// Batch norm's vectorised, multi-threaded sweeps against single-channel runs.
    func testWideBatchNormMatchesPerChannelResults() throws {
        let c = 19
        let x = randomTensor([2, 16, 17, c], seed: 31, scale: 3, requiresGrad: true)
        let gamma = randomTensor([c], seed: 32, requiresGrad: true), beta = randomTensor([c], seed: 33, requiresGrad: true)
        for training in [true, false] {
            for t in [x, gamma, beta] { t.zeroGrad() }
            let mean = randomTensor([c], seed: 34), variance = Tensor(shape: [c], repeating: 1.5)
            let y = try F.batchNorm(x, gamma: gamma, beta: beta, runningMean: mean, runningVar: variance, training: training)
            let probe = randomTensor(y.shape, seed: 35)
            try probed(y, probe).backward()
            for channel in 0..<c {
                let slice = { (t: Tensor) throws -> Tensor in try F.slice(t.detached(), axis: t.rank - 1, range: channel..<(channel + 1)) }
                let xc = try slice(x).detached(requiresGrad: true)
                let gc = try slice(gamma).detached(requiresGrad: true), bc = try slice(beta).detached(requiresGrad: true)
                let mc = try slice(randomTensor([c], seed: 34)), vc = Tensor(shape: [1], repeating: 1.5)
                let yc = try F.batchNorm(xc, gamma: gc, beta: bc, runningMean: mc, runningVar: vc, training: training)
                try probed(yc, try slice(probe)).backward()
                let label = "training \(training) channel \(channel)"
                assertClose(try slice(y), yc, label)
                assertClose(try slice(try XCTUnwrap(x.grad)), try XCTUnwrap(xc.grad), tolerance: 2e-4, "\(label) dx")
                assertClose(try slice(try XCTUnwrap(gamma.grad)), try XCTUnwrap(gc.grad), tolerance: 2e-4, "\(label) dgamma")
                assertClose(try slice(try XCTUnwrap(beta.grad)), try XCTUnwrap(bc.grad), tolerance: 2e-4, "\(label) dbeta")
                assertClose(try slice(mean), mc, "\(label) running mean")
                assertClose(try slice(variance), vc, "\(label) running var")
            }
        }
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
