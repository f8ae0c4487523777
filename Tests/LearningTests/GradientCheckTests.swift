@testable import Learning
import XCTest

/// Finite-difference checks of every op's backward on small shapes.
final class GradientCheckTests: XCTestCase {
    func testConvolution() throws {
        for (stride, padding, dilation) in [(1, 1, 1), (2, 1, 1), (1, 2, 2)] {
            let x = randomTensor([2, 6, 5, 3], seed: 1, requiresGrad: true)
            let w = randomTensor([3, 3, 3, 4], seed: 2, requiresGrad: true)
            let b = randomTensor([4], seed: 3, requiresGrad: true)
            try checkGradients([x, w, b], "conv s\(stride) p\(padding) d\(dilation)") {
                try F.conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding, dilation: dilation)
            }
        }
    }

    func testGroupedConvolution() throws {
        let x = randomTensor([1, 5, 5, 4], seed: 21, requiresGrad: true)
        let w = randomTensor([3, 3, 2, 6], seed: 22, requiresGrad: true)
        let b = randomTensor([6], seed: 23, requiresGrad: true)
        try checkGradients([x, w, b], "grouped conv") { try F.conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, groups: 2) }
    }

    func testActivations() throws {
        // Values away from the ReLU kink so ±ε stays on one side.
        let x = randomTensor([3, 4, 5], seed: 4, scale: 2, requiresGrad: true)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.3 }
        try checkGradients([x], "relu") { F.relu($0[0]) }
        try checkGradients([x], "leakyRelu") { F.leakyRelu($0[0], slope: 0.1) }
        try checkGradients([x], "sigmoid") { F.sigmoid($0[0]) }
        try checkGradients([x], "tanh") { F.tanh($0[0]) }
        try checkGradients([x], "softmax") { try F.softmax($0[0]) }
        try checkGradients([x], "logSoftmax") { try F.logSoftmax($0[0]) }
    }

    func testBroadcastingArithmeticAndShapes() throws {
        let a = randomTensor([2, 3, 4], seed: 5, requiresGrad: true)
        let b = randomTensor([3, 1], seed: 6, requiresGrad: true)
        let c = randomTensor([2, 3, 4], seed: 7, requiresGrad: true)
        try checkGradients([a, b], "add") { try F.add($0[0], $0[1]) }
        try checkGradients([a, b], "sub") { try F.sub($0[0], $0[1]) }
        try checkGradients([a, b], "mul") { try F.mul($0[0], $0[1]) }
        try checkGradients([a, c], "mul same shape") { try F.mul($0[0], $0[1]) }
        try checkGradients([a, c], "add same shape") { try F.add($0[0], $0[1]) }
        try checkGradients([a, c], "sub same shape") { try F.sub($0[0], $0[1]) }
        try checkGradients([a], "scale") { F.scale($0[0], by: -1.5) }
        try checkGradients([a, c], "concat") { try F.concat([$0[0], $0[1]], axis: 2) }
        try checkGradients([a], "slice") { try F.slice($0[0], axis: 1, range: 1..<3) }
        try checkGradients([a], "reshape") { try F.reshape($0[0], [4, -1]) }
        try checkGradients([a], "permute") { try F.permute($0[0], [2, 0, 1]) }
        try checkGradients([a], "sum axis") { try F.sum($0[0], axis: 1) }
        try checkGradients([a], "mean axis") { try F.mean($0[0], axis: 2) }
        try checkGradients([a], "sum") { F.sum($0[0]) }
        try checkGradients([a], "mean") { F.mean($0[0]) }
        let m = randomTensor([5, 3], seed: 8, requiresGrad: true), n = randomTensor([3, 4], seed: 9, requiresGrad: true)
        try checkGradients([m, n], "matmul") { try F.matmul($0[0], $0[1]) }
    }

    func testChannelAffine() throws {
        let x = randomTensor([2, 3, 3, 4], seed: 10, requiresGrad: true)
        let s = randomTensor([4], seed: 11, requiresGrad: true), b = randomTensor([4], seed: 12, requiresGrad: true)
        try checkGradients([x, s, b], "channelAffine") { try F.channelAffine($0[0], scale: $0[1], bias: $0[2]) }
    }

    func testPoolingAndUpsampling() throws {
        // Distinct, well-separated values so no max moves under ±ε.
        let x = Tensor(zeros: [2, 6, 4, 3], requiresGrad: true)
        for i in 0..<x.count { x.data[i] = Float((i * 37) % x.count) * 0.1 }
        try checkGradients([x], "maxPool") { try F.maxPool2d($0[0], kernel: 2) }
        try checkGradients([x], "maxPool overlapping") { try F.maxPool2d($0[0], kernel: 3, stride: 1) }
        try checkGradients([x], "avgPool") { try F.avgPool2d($0[0], kernel: 2) }
        let y = randomTensor([1, 3, 4, 2], seed: 13, requiresGrad: true)
        try checkGradients([y], "nearest") { try F.upsampleNearest($0[0]) }
        try checkGradients([y], "bilinear") { try F.upsampleBilinear($0[0]) }
    }

    func testNormalisation() throws {
        let x = randomTensor([2, 3, 3, 4], seed: 14, requiresGrad: true)
        let gamma = randomTensor([4], seed: 15, requiresGrad: true), beta = randomTensor([4], seed: 16, requiresGrad: true)
        try checkGradients([x, gamma, beta], epsilon: 1e-2, tolerance: 3e-2, "batchNorm train") {
            try F.batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: Tensor(zeros: [4]),
                            runningVar: Tensor(shape: [4], repeating: 1), training: true)
        }
        let mean = randomTensor([4], seed: 17), variance = Tensor(shape: [4], repeating: 0.7)
        try checkGradients([x, gamma, beta], "batchNorm eval") {
            try F.batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: mean, runningVar: variance, training: false)
        }
        try checkGradients([x, gamma, beta], epsilon: 1e-2, tolerance: 3e-2, "groupNorm") {
            try F.groupNorm($0[0], groups: 2, gamma: $0[1], beta: $0[2])
        }
    }

    func testLosses() throws {
        let logits = randomTensor([2, 3, 3, 2], seed: 18, scale: 2, requiresGrad: true)
        let targets = Tensor(zeros: logits.shape)
        for i in 0..<targets.count { targets.data[i] = Float(i % 3 == 0 ? 1 : 0) }
        try checkGradients([logits], "bce") { try F.bceWithLogits($0[0], targets) }
        try checkGradients([logits], "normalizedFocalLoss") {
            try F.normalizedFocalLoss($0[0], targets, gamma: 2, detachNormaliser: false)
        }
        let labels = (0..<18).map { Int32($0 % 2) }
        try checkGradients([logits], "crossEntropy") { try F.crossEntropy($0[0], labels: labels) }
        let probabilities = Tensor(zeros: logits.shape, requiresGrad: true)
        for i in 0..<probabilities.count { probabilities.data[i] = 0.1 + 0.8 * Float((i * 7) % 11) / 11 }
        try checkGradients([probabilities], "dice") { try F.softDice($0[0], targets) }
        let prediction = randomTensor([2, 5, 6, 2], seed: 19, requiresGrad: true), truth = randomTensor([2, 5, 6, 2], seed: 20)
        for i in 0..<prediction.count where abs(prediction.data[i] - truth.data[i]) < 0.05 { prediction.data[i] += 0.2 }
        try checkGradients([prediction], "mse") { try F.mse($0[0], truth) }
        try checkGradients([prediction], epsilon: 1e-3, "l1") { try F.l1($0[0], truth) }
        let mask = Tensor(zeros: [2, 5, 6])
        for i in 0..<mask.count { mask.data[i] = i % 3 == 0 ? 0 : 1 }
        try checkGradients([prediction], "gradientMSE") { try F.gradientMSE($0[0], truth, mask: mask) }
    }
}
