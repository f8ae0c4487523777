/// One recorded op: its inputs and how to push the output's gradient into theirs.
final class Node {
    let op: String
    let inputs: [Tensor]
    /// Receives the output gradient (same element count as the output) and accumulates
    /// into `inputs[i].grad` for the inputs that require gradients.
    let backward: (UnsafePointer<Float>) -> Void

    init(op: String, inputs: [Tensor], backward: @escaping (UnsafePointer<Float>) -> Void) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record a graph. Off inside `Autograd.noGrad`, where ops allocate and
/// capture nothing for backward (inference, f-BRS feature extraction).
public enum Autograd {
    @TaskLocal static var enabled = true

    public static var isEnabled: Bool { enabled }

    /// Runs `body` without recording gradients.
    public static func noGrad<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        do {
            return try $enabled.withValue(false) { try body() }
        } catch let error as E {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    /// Whether an op with these inputs must record a node.
    @inline(__always)
    static func needsGraph(_ inputs: Tensor...) -> Bool {
        guard enabled else { return false }
        return inputs.contains { $0.requiresGrad }
    }
}

extension Tensor {
    /// Attaches a backward function when any input requires gradients.
    @discardableResult
    func recording(_ op: String, _ inputs: [Tensor], _ backward: @escaping (UnsafePointer<Float>) -> Void) -> Tensor {
        if Autograd.enabled, inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            node = Node(op: op, inputs: inputs, backward: backward)
        }
        return self
    }

    /// The gradient buffer to accumulate into (zero-filled on first use).
    func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.data }
        let fresh = Tensor(zeros: shape)
        grad = fresh
        return fresh.data
    }

    /// Back-propagates from this single-value tensor: accumulates d(self)/d(leaf) into
    /// every leaf that requires gradients. Intermediate gradients and the graph are freed
    /// as it goes (unless `retainsGrad`), so one graph supports one backward.
    public func backward() throws(LearningError) {
        guard count == 1 else { throw .backwardRequiresScalar(shape: shape) }
        guard requiresGrad else { return }
        let order = topologicalOrder()
        gradBuffer()[0] += 1
        for tensor in order.reversed() {
            guard let node = tensor.node else { continue }
            if let grad = tensor.grad { node.backward(grad.data) }
            tensor.node = nil
            if !tensor.retainsGrad { tensor.grad = nil }
        }
    }

    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative DFS: graphs of deep nets would overflow a recursive one's stack.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
