@testable import Learning
import XCTest

/// Outputs and gradients against PyTorch (scripts/goldens/learning_goldens.py).
final class GoldenTests: XCTestCase {
    func testConvolutionsMatchPyTorch() throws {
        for name in ["conv3x3_pad1", "conv3x3_stride2_dilation2", "conv1x1", "conv3x3_groups2"] {
            let golden = try Golden(name)
            let x = try golden.tensor("x", requiresGrad: true)
            let weight = try golden.tensor("weight", requiresGrad: true)
            let bias = try golden.tensor("bias", requiresGrad: true)
            let y = try F.conv2d(x, weight: weight, bias: bias, stride: golden.int("stride"), padding: golden.int("padding"),
                                 dilation: golden.int("dilation"), groups: golden.int("groups"))
            assertClose(y, try golden.tensor("y"), name)
            try probed(y, try golden.tensor("probe")).backward()
            assertClose(x.grad, try golden.tensor("dx"), "\(name) dx")
            assertClose(weight.grad, try golden.tensor("dweight"), "\(name) dweight")
            assertClose(bias.grad, try golden.tensor("dbias"), "\(name) dbias")
        }
    }

    func testBatchNormTrainingMatchesPyTorch() throws {
        let golden = try Golden("batchnorm_train")
        let x = try golden.tensor("x", requiresGrad: true)
        let gamma = try golden.tensor("gamma", requiresGrad: true), beta = try golden.tensor("beta", requiresGrad: true)
        let mean = Tensor(zeros: [3]), variance = Tensor(shape: [3], repeating: 1)
        let y = try F.batchNorm(x, gamma: gamma, beta: beta, runningMean: mean, runningVar: variance, training: true)
        assertClose(y, try golden.tensor("y"), "y")
        assertClose(mean, try golden.tensor("running_mean"), "running mean")
        assertClose(variance, try golden.tensor("running_var"), "running var")
        try probed(y, try golden.tensor("probe")).backward()
        assertClose(x.grad, try golden.tensor("dx"), tolerance: 2e-4, "dx")
        assertClose(gamma.grad, try golden.tensor("dgamma"), "dgamma")
        assertClose(beta.grad, try golden.tensor("dbeta"), "dbeta")
    }

    func testGroupNormMatchesPyTorch() throws {
        let golden = try Golden("groupnorm")
        let x = try golden.tensor("x", requiresGrad: true)
        let gamma = try golden.tensor("gamma", requiresGrad: true), beta = try golden.tensor("beta", requiresGrad: true)
        let y = try F.groupNorm(x, groups: golden.int("groups"), gamma: gamma, beta: beta)
        assertClose(y, try golden.tensor("y"), "y")
        try probed(y, try golden.tensor("probe")).backward()
        assertClose(x.grad, try golden.tensor("dx"), tolerance: 2e-4, "dx")
        assertClose(gamma.grad, try golden.tensor("dgamma"), "dgamma")
        assertClose(beta.grad, try golden.tensor("dbeta"), "dbeta")
    }

    func testUpsamplingAndPoolingMatchPyTorch() throws {
        let cases: [(String, (Tensor) throws -> Tensor)] = [
            ("upsample_bilinear", { try F.upsampleBilinear($0) }),
            ("upsample_nearest", { try F.upsampleNearest($0) }),
            ("maxpool2", { try F.maxPool2d($0, kernel: 2) }),
        ]
        for (name, op) in cases {
            let golden = try Golden(name)
            let x = try golden.tensor("x", requiresGrad: true)
            let y = try op(x)
            assertClose(y, try golden.tensor("y"), name)
            try probed(y, try golden.tensor("probe")).backward()
            assertClose(x.grad, try golden.tensor("dx"), "\(name) dx")
        }
    }

    func testLossesMatchPyTorch() throws {
        var golden = try Golden("loss_bce")
        var input = try golden.tensor("logits", requiresGrad: true)
        var loss = try F.bceWithLogits(input, try golden.tensor("targets"))
        assertClose(loss.item, try golden.tensor("loss").item, "bce")
        try loss.backward()
        assertClose(input.grad, try golden.tensor("dlogits"), "bce grad")

        golden = try Golden("loss_cross_entropy")
        input = try golden.tensor("logits", requiresGrad: true)
        let labels = try golden.tensor("labels").values.map { Int32($0) }
        loss = try F.crossEntropy(input, labels: labels)
        assertClose(loss.item, try golden.tensor("loss").item, "cross-entropy")
        try loss.backward()
        assertClose(input.grad, try golden.tensor("dlogits"), "cross-entropy grad")

        golden = try Golden("loss_dice")
        input = try golden.tensor("probabilities", requiresGrad: true)
        loss = try F.softDice(input, try golden.tensor("targets"))
        assertClose(loss.item, try golden.tensor("loss").item, "dice")
        try loss.backward()
        assertClose(input.grad, try golden.tensor("dprobabilities"), "dice grad")

        for (name, op) in [("loss_mse", F.mse), ("loss_l1", F.l1)] as [(String, (Tensor, Tensor) throws -> Tensor)] {
            golden = try Golden(name)
            input = try golden.tensor("prediction", requiresGrad: true)
            loss = try op(input, try golden.tensor("target"))
            assertClose(loss.item, try golden.tensor("loss").item, name)
            try loss.backward()
            assertClose(input.grad, try golden.tensor("dprediction"), "\(name) grad")
        }
    }

    func testNormalizedFocalLossMatchesTheRITMTranscription() throws {
        let golden = try Golden("loss_normalized_focal")
        let logits = try golden.tensor("logits", requiresGrad: true)
        let loss = try F.normalizedFocalLoss(logits, try golden.tensor("targets"), gamma: Float(golden.int("gamma")))
        assertClose(loss.item, try golden.tensor("loss").item, "normalised focal loss")
        try loss.backward()
        assertClose(logits.grad, try golden.tensor("dlogits"), "normalised focal loss grad")
    }

    func testGradientMSEMatchesTheTensorFlowReferenceTranscription() throws {
        let golden = try Golden("loss_gradient_mse")
        let (kh, kv) = F.hoverSobelKernels()
        assertClose(try Tensor(shape: [5, 5], values: kh.flatMap { $0 }), try golden.tensor("kernel_h"), "kernel_h")
        assertClose(try Tensor(shape: [5, 5], values: kv.flatMap { $0 }), try golden.tensor("kernel_v"), "kernel_v")
        let prediction = try golden.tensor("prediction", requiresGrad: true)
        let loss = try F.gradientMSE(prediction, try golden.tensor("target"), mask: try golden.tensor("mask"))
        assertClose(loss.item, try golden.tensor("loss").item, tolerance: 1e-4, "msge")
        try loss.backward()
        assertClose(prediction.grad, try golden.tensor("dprediction"), "msge grad")
    }

    func testHoverGradientOrientation() throws {
        // A horizontal ramp in channel 0 (h map) has a positive x-derivative; a vertical ramp
        // in channel 1 (v map) a positive y-derivative; the cross terms vanish.
        let (n, h, w) = (1, 9, 9)
        let hv = Tensor(zeros: [n, h, w, 2])
        for y in 0..<h { for x in 0..<w { hv.data[(y * w + x) * 2] = Float(x); hv.data[(y * w + x) * 2 + 1] = Float(y) } }
        let out = Tensor(zeros: hv.shape)
        F.hoverGradients(hv.data, n: n, h: h, w: w, into: out.data)
        let centre = (4 * w + 4) * 2
        XCTAssertGreaterThan(out.data[centre], 0)
        XCTAssertGreaterThan(out.data[centre + 1], 0)
        let swapped = Tensor(zeros: hv.shape)
        for y in 0..<h { for x in 0..<w { swapped.data[(y * w + x) * 2] = Float(y); swapped.data[(y * w + x) * 2 + 1] = Float(x) } }
        F.hoverGradients(swapped.data, n: n, h: h, w: w, into: out.data)
        XCTAssertEqual(out.data[centre], 0, accuracy: 1e-5)
        XCTAssertEqual(out.data[centre + 1], 0, accuracy: 1e-5)
    }
}
