import Imaging
import Learning

/// A realism measure that needs no pretrained network: train a small real-vs-synthetic
/// patch classifier with the engine, report its accuracy on patches from images it never
/// saw. 0.5 = the two sets are indistinguishable to it; 1.0 = trivially told apart.
public enum RealismMeasure {
    public struct Configuration: Sendable, Equatable {
        public var patchSize = 48
        public var batchSize = 16
        public var steps = 150
        public var heldOutPatches = 64
        public var learningRate: Float = 1e-3
        public var seed: UInt64 = 1
        public init() {}
    }

    public struct Result: Sendable, Equatable, Codable {
        public var heldOutAccuracy: Double
        public var finalTrainingLoss: Double
        public var trainingImages: Int
        public var heldOutImages: Int
    }

    /// Images are split (not patches), so held-out patches come from unseen images.
    public static func evaluate(real: [RGBImage], synthetic: [RGBImage],
                                configuration: Configuration = Configuration()) throws(RefinementError) -> Result {
        let size = configuration.patchSize
        let real = real.filter { $0.width >= size && $0.height >= size }
        let synthetic = synthetic.filter { $0.width >= size && $0.height >= size }
        guard real.count >= 2, synthetic.count >= 2 else {
            throw .insufficientData("the realism measure needs ≥ 2 real and ≥ 2 synthetic images of at least \(size)×\(size)")
        }
        func split(_ images: [RGBImage]) -> ([RGBImage], [RGBImage]) {
            let cut = max(1, min(images.count - 1, Int((Double(images.count) * 0.7).rounded())))
            return (Array(images[..<cut]), Array(images[cut...]))
        }
        let (realTrain, realTest) = split(real), (fakeTrain, fakeTest) = split(synthetic)
        var rng = RefinementRandom(seed: configuration.seed)
        let classifier = classifierNetwork(using: &rng)
        let optimizer = Adam(parameters: classifier.parameters(), learningRate: configuration.learningRate)
        let half = configuration.batchSize / 2
        var lastLoss: Float = 0
        do {
            for _ in 0..<configuration.steps {
                let patches = (0..<half).map { _ in Patches.random(from: realTrain, size: size, using: &rng) }
                    + (0..<half).map { _ in Patches.random(from: fakeTrain, size: size, using: &rng) }
                let targets = try Tensor(shape: [2 * half], values: [Float](repeating: 0, count: half) + [Float](repeating: 1, count: half))
                classifier.zeroGrad()
                let loss = try F.bceWithLogits(try logits(classifier, Patches.tensor(patches)), targets)
                try loss.backward()
                optimizer.step()
                lastLoss = loss.item
            }
            var correct = 0
            let perSide = configuration.heldOutPatches / 2
            try Autograd.noGrad { () throws(LearningError) in
                for (images, isSynthetic) in [(realTest, false), (fakeTest, true)] {
                    let patches = (0..<perSide).map { _ in Patches.random(from: images, size: size, using: &rng) }
                    let values = try logits(classifier, Patches.tensor(patches)).values
                    correct += values.filter { ($0 > 0) == isSynthetic }.count
                }
            }
            return Result(heldOutAccuracy: Double(correct) / Double(2 * perSide), finalTrainingLoss: Double(lastLoss),
                          trainingImages: realTrain.count + fakeTrain.count, heldOutImages: realTest.count + fakeTest.count)
        } catch {
            throw .learning(error)
        }
    }

    static func classifierNetwork<G: RandomNumberGenerator>(using rng: inout G) -> Sequential {
        Sequential([
            ("conv0", Conv2d(3, 16, kernel: 3, stride: 2, activation: .relu, using: &rng)),
            ("conv1", Conv2d(16, 32, kernel: 3, stride: 2, activation: .relu, using: &rng)),
            ("conv2", Conv2d(32, 32, kernel: 3, stride: 2, activation: .relu, using: &rng)),
            ("head", Conv2d(32, 1, kernel: 1, using: &rng)),
        ])
    }

    /// One logit per patch: the mean of the head's map.
    static func logits(_ network: Sequential, _ x: Tensor) throws(LearningError) -> Tensor {
        let map = try network(x)
        return try F.mean(try F.reshape(map, [map.shape[0], map.count / map.shape[0]]), axis: 1)
    }
}
