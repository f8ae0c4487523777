import Foundation

/// Updates parameters from their accumulated gradients. Parameters that are frozen
/// (`requiresGrad == false`) or received no gradient are left alone.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step()
}

extension Optimizer {
    /// Clears the gradients of `parameters` (gradients accumulate across backward calls).
    public func zeroGrad(_ parameters: [Tensor]) { for parameter in parameters { parameter.zeroGrad() } }
}

/// SGD with momentum and weight decay, PyTorch's formulation (the first step seeds the
/// momentum buffer with the gradient).
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let momentum: Float, weightDecay: Float, nesterov: Bool
    private var buffers: [Tensor?]

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        for (index, p) in parameters.enumerated() where p.requiresGrad {
            guard let grad = p.grad else { continue }
            let d = Tensor(uninitialized: p.shape)
            for i in 0..<p.count { d.data[i] = grad.data[i] + weightDecay * p.data[i] }
            if momentum != 0 {
                let buffer: Tensor
                if let existing = buffers[index] {
                    buffer = existing
                    for i in 0..<p.count { buffer.data[i] = momentum * buffer.data[i] + d.data[i] }
                } else {
                    buffer = d.copy()
                    buffers[index] = buffer
                }
                for i in 0..<p.count { d.data[i] = nesterov ? d.data[i] + momentum * buffer.data[i] : buffer.data[i] }
            }
            for i in 0..<p.count { p.data[i] -= learningRate * d.data[i] }
        }
    }
}

/// Adam, or AdamW with `decoupledWeightDecay` (decay applied to the weights, not mixed into
/// the gradient), as in PyTorch.
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupledWeightDecay: Bool
    private var moments: [(Tensor, Tensor)]
    public private(set) var steps = 0

    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        moments = parameters.map { (Tensor(zeros: $0.shape), Tensor(zeros: $0.shape)) }
    }

    public static func adamW(parameters: [Tensor], learningRate: Float = 1e-3, weightDecay: Float = 1e-2) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step() {
        steps += 1
        let correction1 = 1 - Float(Foundation.pow(Double(beta1), Double(steps)))
        let correction2 = 1 - Float(Foundation.pow(Double(beta2), Double(steps)))
        let stepSize = learningRate / correction1
        let (b1, b2, eps, lr, wd, decoupled) = (beta1, beta2, epsilon, learningRate, weightDecay, decoupledWeightDecay)
        for (index, p) in parameters.enumerated() where p.requiresGrad {
            guard let grad = p.grad else { continue }
            let (m, v) = moments[index]
            let ps = SharedPointer(p.data), gs = SharedPointer(grad.data), ms = SharedPointer(m.data), vs = SharedPointer(v.data)
            parallelElements(p.count) { range in
                for i in range {
                    var g = gs[i]
                    if decoupled { ps[i] *= 1 - lr * wd } else { g += wd * ps[i] }
                    ms[i] = b1 * ms[i] + (1 - b1) * g
                    vs[i] = b2 * vs[i] + (1 - b2) * g * g
                    ps[i] -= stepSize * ms[i] / ((vs[i] / correction2).squareRoot() + eps)
                }
            }
        }
    }
}

/// Adam's running state — step count and both moments of every parameter — so a resumed
/// run continues the same optimisation instead of re-warming its moments from zero.
public struct AdamState: Sendable {
    public var steps: Int
    /// Per parameter, in the optimiser's parameter order.
    public var firstMoments: [[Float]]
    public var secondMoments: [[Float]]

    /// Name prefix of the moment tensors in a state dictionary.
    public static let tensorPrefix = "optimizer."

    /// The moments as named tensors (`optimizer.m.<i>`, `optimizer.v.<i>`) for a safetensors
    /// file; the step count travels in the metadata.
    public func tensors(shapes: [[Int]], prefix: String = tensorPrefix) -> [String: Tensor] {
        var named: [String: Tensor] = [:]
        for index in firstMoments.indices {
            let shape = index < shapes.count ? shapes[index] : [firstMoments[index].count]
            named["\(prefix)m.\(index)"] = Tensor(moments: firstMoments[index], shape: shape)
            named["\(prefix)v.\(index)"] = Tensor(moments: secondMoments[index], shape: shape)
        }
        return named
    }

    /// The state stored by `tensors(shapes:prefix:)`, or nil when the dictionary holds none.
    public init?(tensors: [String: Tensor], steps: Int, prefix: String = tensorPrefix) {
        var first: [[Float]] = [], second: [[Float]] = []
        while let m = tensors["\(prefix)m.\(first.count)"], let v = tensors["\(prefix)v.\(first.count)"] {
            first.append(m.values); second.append(v.values)
        }
        guard !first.isEmpty else { return nil }
        self.init(steps: steps, firstMoments: first, secondMoments: second)
    }

    public init(steps: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        self.steps = steps
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}

private extension Tensor {
    /// Moments are stored flat; the shape is the parameter's, for readers of the file.
    convenience init(moments: [Float], shape: [Int]) {
        self.init(zeros: shape.reduce(1, *) == moments.count ? shape : [moments.count])
        for i in moments.indices { data[i] = moments[i] }
    }
}

extension Adam {
    /// Why `state` cannot be restored here (other parameter count or sizes), or nil.
    func mismatch(_ state: AdamState) -> String? {
        guard state.firstMoments.count == moments.count, state.secondMoments.count == moments.count else {
            return "state has \(state.firstMoments.count) parameters, the optimiser \(moments.count)"
        }
        for (index, (m, v)) in moments.enumerated()
        where state.firstMoments[index].count != m.count || state.secondMoments[index].count != v.count {
            return "parameter \(index) has \(m.count) values, the state \(state.firstMoments[index].count)"
        }
        return nil
    }

    /// A copy of the running state.
    public var state: AdamState {
        AdamState(steps: steps, firstMoments: moments.map(\.0.values), secondMoments: moments.map(\.1.values))
    }

    /// Continues from `state`; refuses one of other parameters (count or sizes) before
    /// changing anything.
    public func restore(_ state: AdamState) throws(LearningError) {
        if let mismatch = mismatch(state) { throw .invalidArgument(op: "Adam.restore", detail: mismatch) }
        for (index, (m, v)) in moments.enumerated() {
            for i in 0..<m.count { m.data[i] = state.firstMoments[index][i]; v.data[i] = state.secondMoments[index][i] }
        }
        steps = state.steps
    }
}

/// Optimiser state kept next to a checkpoint that is itself the model file
/// (`<model>.optimizer.safetensors`), so model artifacts stay weights alone. It records the
/// step of the weights it belongs to, and a resume restores it only when that step matches:
/// a crash between the two writes costs the moments, never a mismatched pair.
public enum OptimizerSidecar {
    public static func url(for checkpoint: URL) -> URL {
        checkpoint.deletingPathExtension().appendingPathExtension("optimizer.safetensors")
    }

    /// Writes (atomically) every named optimiser's state, tagged with the weights' `step`.
    public static func save(_ optimizers: [String: Adam], step: Int, nextTo checkpoint: URL) throws(LearningError) {
        var tensors: [(String, Tensor)] = []
        var metadata = ["step": String(step)]
        for (name, optimizer) in optimizers {
            let state = optimizer.state
            metadata["\(name).steps"] = String(state.steps)
            tensors += state.tensors(shapes: optimizer.parameters.map(\.shape), prefix: "\(name).").map { ($0.key, $0.value) }
        }
        try SafeTensors.save(tensors, to: url(for: checkpoint), metadata: metadata)
    }

    /// Restores every named optimiser from the sidecar of `checkpoint` when it exists and
    /// belongs to weights at `step`; true when all were restored.
    @discardableResult
    public static func restore(_ optimizers: [String: Adam], step: Int, from checkpoint: URL) -> Bool {
        let file = url(for: checkpoint)
        guard let metadata = try? SafeTensors.metadata(of: file), metadata["step"] == String(step),
              let tensors = try? SafeTensors.load(file) else { return false }
        var states: [String: AdamState] = [:]
        for name in optimizers.keys {
            guard let steps = metadata["\(name).steps"].flatMap(Int.init),
                  let state = AdamState(tensors: tensors, steps: steps, prefix: "\(name).") else { return false }
            states[name] = state
        }
        // All or none: check every state fits before restoring any.
        guard optimizers.allSatisfy({ name, optimizer in states[name].map { optimizer.mismatch($0) == nil } ?? false }) else { return false }
        for (name, optimizer) in optimizers { try? optimizer.restore(states[name]!) }
        return true
    }
}

/// Learning rate as a function of the step (0-based): optional linear warm-up from 0, then
/// constant, step decay or cosine decay to `minimum` over the remaining steps.
public struct LearningRateSchedule: Sendable {
    public enum Decay: Sendable {
        case constant
        /// Multiply by `gamma` every `every` steps after warm-up.
        case step(every: Int, gamma: Float)
        /// Cosine from the base rate to `minimum` at `totalSteps`.
        case cosine(totalSteps: Int, minimum: Float)
    }

    public var base: Float
    public var warmupSteps: Int
    public var decay: Decay

    public init(base: Float, warmupSteps: Int = 0, decay: Decay = .constant) {
        self.base = base
        self.warmupSteps = warmupSteps
        self.decay = decay
    }

    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let t = step - warmupSteps
        switch decay {
        case .constant: return base
        case let .step(every, gamma): return base * Float(Foundation.pow(Double(gamma), Double(t / max(every, 1))))
        case let .cosine(total, minimum):
            let span = max(total - warmupSteps, 1)
            let progress = min(Double(t) / Double(span), 1)
            return minimum + (base - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}

/// Limited-memory BFGS with a backtracking (Armijo) line search, for small smooth problems
/// such as f-BRS's per-channel scale and bias (≤ 20 iterations per click).
public struct LBFGS: Sendable {
    public var maxIterations: Int
    public var history: Int
    /// Stop when the largest gradient component falls below this.
    public var gradientTolerance: Double
    /// Stop when the loss changes less than this between iterations.
    public var lossTolerance: Double

    public init(maxIterations: Int = 20, history: Int = 10, gradientTolerance: Double = 1e-7, lossTolerance: Double = 1e-12) {
        self.maxIterations = maxIterations
        self.history = history
        self.gradientTolerance = gradientTolerance
        self.lossTolerance = lossTolerance
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var loss: Double
        public var iterations: Int
        public var evaluations: Int
    }

    /// Minimises `objective` (returning loss and gradient) from `start`.
    public func minimize<E: Error>(from start: [Double], _ objective: ([Double]) throws(E) -> (Double, [Double])) throws(E) -> Result {
        var x = start
        var (loss, gradient) = try objective(x)
        var evaluations = 1
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var iterations = 0
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        while iterations < maxIterations {
            if gradient.map(abs).max() ?? 0 <= gradientTolerance { break }
            iterations += 1
            // Two-loop recursion: direction = −H·g.
            var q = gradient
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for i in stride(from: sHistory.count - 1, through: 0, by: -1) {
                alphas[i] = rhoHistory[i] * dot(sHistory[i], q)
                for j in q.indices { q[j] -= alphas[i] * yHistory[i][j] }
            }
            if let s = sHistory.last, let y = yHistory.last {
                let gamma = dot(s, y) / dot(y, y)
                for j in q.indices { q[j] *= gamma }
            }
            for i in sHistory.indices {
                let beta = rhoHistory[i] * dot(yHistory[i], q)
                for j in q.indices { q[j] += sHistory[i][j] * (alphas[i] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, gradient)
            if slope >= 0 { // Not a descent direction: restart from steepest descent.
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
            }
            // PyTorch's first step: min(1, 1/|g|₁) so the first probe stays small.
            var step = sHistory.isEmpty ? min(1, 1 / max(gradient.reduce(0) { $0 + abs($1) }, 1e-12)) : 1
            var candidate = x, newLoss = loss, newGradient = gradient
            var accepted = false
            for _ in 0..<30 {
                candidate = zip(x, direction).map { $0 + step * $1 }
                (newLoss, newGradient) = try objective(candidate)
                evaluations += 1
                if newLoss.isFinite && newLoss <= loss + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            let s = zip(candidate, x).map { $0 - $1 }, y = zip(newGradient, gradient).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 {
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
                if sHistory.count > history { sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst() }
            }
            let change = abs(newLoss - loss)
            x = candidate; loss = newLoss; gradient = newGradient
            if change < lossTolerance { break }
        }
        return Result(x: x, loss: loss, iterations: iterations, evaluations: evaluations)
    }

    /// Minimises a tensor loss over `parameters` (e.g. f-BRS scale and bias): `closure`
    /// computes the loss from the parameters' current values; gradients come from backward.
    /// The parameters hold the minimiser on return.
    public func minimize(parameters: [Tensor], _ closure: () throws(LearningError) -> Tensor) throws(LearningError) -> Result {
        func load(_ x: [Double]) {
            var offset = 0
            for p in parameters { for i in 0..<p.count { p.data[i] = Float(x[offset + i]) }; offset += p.count }
        }
        var start: [Double] = []
        for p in parameters { for i in 0..<p.count { start.append(Double(p.data[i])) } }
        let result = try minimize(from: start) { (x: [Double]) throws(LearningError) -> (Double, [Double]) in
            load(x)
            for p in parameters { p.zeroGrad() }
            let loss = try closure()
            try loss.backward()
            var gradient: [Double] = []
            for p in parameters {
                for i in 0..<p.count { gradient.append(Double(p.grad?.data[i] ?? 0)) }
            }
            return (Double(loss.item), gradient)
        }
        load(result.x)
        return result
    }
}
