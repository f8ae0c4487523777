import Foundation
import Imaging
import Learning

/// One person (or lab tool) annotating one image: clicks refine the current object, undo
/// and redo walk its click history, `finishObject` commits it to the instance map and starts
/// the next. Not thread-safe: the service serialises calls per session.
public final class InteractiveSession {
    public let image: RGBImage
    public let predictor: InteractivePredictor
    /// Nuclei committed so far (ids 1, 2, ...).
    public private(set) var instances: LabelMap
    public private(set) var nextID: UInt32 = 1

    struct ObjectState {
        var clicks: [Click] = []
        var probabilities = ObjectProbabilities()
        var window: ZoomWindow?
    }

    private var current = ObjectState()
    private var undoStack: [ObjectState] = []
    private var redoStack: [ObjectState] = []
    private let cache = InteractivePredictor.CropCache()

    /// What one click produced.
    public struct ClickOutcome: Sendable {
        /// The current object's mask over the whole image.
        public var mask: Mask
        /// Pixels in the mask and their mean probability (a confidence summary).
        public var area: Int
        public var meanProbability: Float
        /// The zoom-in window the network saw (image pixels).
        public var window: ZoomWindow
        public var fbrsIterations: Int
    }

    public init(image: RGBImage, predictor: InteractivePredictor) {
        self.image = image
        self.predictor = predictor
        instances = LabelMap(width: image.width, height: image.height, repeating: 0)
    }

    public var clicks: [Click] { current.clicks }
    public var canUndo: Bool { !undoStack.isEmpty }
    public var canRedo: Bool { !redoStack.isEmpty }

    public var currentMask: Mask {
        let p = current.probabilities
        var mask = p.mask(imageWidth: image.width, imageHeight: image.height, threshold: predictor.options.threshold)
        guard predictor.options.clickedComponentsOnly, !p.isEmpty else { return mask }
        // Components are found in the object's rectangle only: per click the cost follows
        // the windows, not the image.
        let clicks = current.clicks.compactMap { click -> Click? in
            let lx = click.x - p.x, ly = click.y - p.y
            guard lx >= 0, ly >= 0, lx < p.width, ly < p.height else { return nil }
            return Click(x: lx, y: ly, positive: click.positive)
        }
        let local = Self.components(of: mask.cropped(x: p.x, y: p.y, width: p.width, height: p.height), touching: clicks)
        for ly in 0..<p.height {
            for lx in 0..<p.width { mask[lx + p.x, ly + p.y] = local[lx, ly] }
        }
        return mask
    }

    /// The connected parts of `mask` that hold a positive click (all of it when no positive
    /// click lands inside it, so a mask the clicks miss is not erased).
    static func components(of mask: Mask, touching clicks: [Click]) -> Mask {
        let labels = ConnectedComponents.label(mask)
        let kept = Set(clicks.filter(\.positive).map { labels[$0.x, $0.y] }.filter { $0 != 0 })
        guard !kept.isEmpty else { return mask }
        var result = mask
        for index in 0..<result.count where result.storage[index] && !kept.contains(labels.storage[index]) {
            result.storage[index] = false
        }
        return result
    }

    public var currentProbabilities: ObjectProbabilities { current.probabilities }

    /// Adds a click to the current object and re-predicts it.
    @discardableResult
    public func click(_ click: Click, useFBRS: Bool? = nil) throws(InteractiveError) -> ClickOutcome {
        guard click.x >= 0, click.y >= 0, click.x < image.width, click.y < image.height else {
            throw .clickOutsideImage(x: click.x, y: click.y, width: image.width, height: image.height)
        }
        var next = current
        next.clicks.append(click)
        let previous = current.probabilities
        func predict(in window: ZoomWindow) throws(InteractiveError) -> (ObjectState, Int) {
            let prediction = try engine { () throws(LearningError) in
                try predictor.predict(image: image, window: window, clicks: next.clicks,
                                      previous: previous.isEmpty ? nil : { previous.probability(x: $0, y: $1) },
                                      cache: cache, useFBRS: useFBRS ?? predictor.options.useFBRS)
            }
            var state = next
            state.probabilities.paste(prediction.probabilities, window: window, imageWidth: image.width, imageHeight: image.height)
            state.window = window
            return (state, prediction.fbrsIterations)
        }
        var window = chooseWindow(clicks: next.clicks, previous: current)
        var (predicted, iterations) = try predict(in: window)
        if predictor.options.refocus {
            let settled = chooseWindow(clicks: next.clicks, previous: predicted)
            if settled != window {
                window = settled
                (predicted, iterations) = try predict(in: window)
            }
        }
        undoStack.append(current)
        redoStack.removeAll()
        current = predicted
        let mask = currentMask
        var area = 0, total: Float = 0
        let p = current.probabilities
        // Only the rectangle the object's windows covered can hold mask pixels.
        for py in p.y..<(p.y + p.height) {
            for px in p.x..<(p.x + p.width) where mask[px, py] {
                area += 1
                total += p.probability(x: px, y: py)
            }
        }
        return ClickOutcome(mask: mask, area: area, meanProbability: area > 0 ? total / Float(area) : 0,
                            window: window, fbrsIterations: iterations)
    }

    /// Withdraws the last click of the current object.
    public func undo() throws(InteractiveError) {
        guard let previous = undoStack.popLast() else { throw .nothingToUndo }
        redoStack.append(current)
        current = previous
    }

    public func redo() throws(InteractiveError) {
        guard let next = redoStack.popLast() else { throw .nothingToRedo }
        undoStack.append(current)
        current = next
    }

    /// Drops the current object's clicks and mask.
    public func resetObject() {
        current = ObjectState()
        undoStack.removeAll()
        redoStack.removeAll()
    }

    /// Commits the current mask as a new nucleus (pixels already owned by an earlier
    /// nucleus keep their owner) and starts a new object. Returns the id, or nil when the
    /// mask was empty.
    @discardableResult
    public func finishObject() -> UInt32? {
        let mask = currentMask
        resetObject()
        guard mask.storage.contains(true) else { return nil }
        let id = nextID
        for index in 0..<mask.count where mask.storage[index] && instances.storage[index] == 0 {
            instances.storage[index] = id
        }
        nextID += 1
        return id
    }

    /// Commits the current object (if any) and returns the instance map.
    public func finish() -> LabelMap {
        finishObject()
        return instances
    }

    /// Replaces the committed nuclei, e.g. with a multi-nucleus (`segmentPoints`) result that
    /// corrective clicks then refine through `edit(instance:)`.
    public func adoptInstances(_ labels: LabelMap) throws(InteractiveError) {
        guard labels.width == image.width, labels.height == image.height else {
            throw .invalidArgument("instance map is \(labels.width)×\(labels.height), the image \(image.width)×\(image.height)")
        }
        instances = labels
        nextID = labels.maxLabel + 1
    }

    /// Takes nucleus `id` out of the instance map and makes it the current object, so
    /// corrective clicks refine it (its mask becomes the previous mask).
    public func edit(instance id: UInt32) throws(InteractiveError) {
        var probabilities = ObjectProbabilities()
        var found = false
        var x0 = Int.max, y0 = Int.max, x1 = 0, y1 = 0
        for py in 0..<image.height {
            for px in 0..<image.width where instances[px, py] == id {
                found = true
                x0 = min(x0, px); y0 = min(y0, py); x1 = max(x1, px + 1); y1 = max(y1, py + 1)
            }
        }
        guard found else { throw .invalidArgument("no nucleus with id \(id)") }
        let side = max(x1 - x0, y1 - y0)
        let window = ZoomWindow(x: x0, y: y0, size: side, outputSize: side)
        let map = (0..<(side * side)).map { index -> Float in
            let px = x0 + index % side, py = y0 + index / side
            return px < image.width && py < image.height && instances[px, py] == id ? 1 : 0
        }
        probabilities.paste(map, window: window, imageWidth: image.width, imageHeight: image.height)
        for index in 0..<instances.count where instances.storage[index] == id { instances.storage[index] = 0 }
        resetObject()
        current.probabilities = probabilities
    }

    /// The zoom-in window for the next prediction: the first click alone gets a fixed
    /// window around it; later clicks get the bbox of the mask and positive clicks,
    /// expanded. The previous window is kept while it still frames the object well, so the
    /// cached image features are reused.
    func chooseWindow(clicks: [Click], previous: ObjectState) -> ZoomWindow {
        let options = predictor.options, size = predictor.inputSize
        var box = previous.probabilities.bounds(threshold: options.threshold)
        if let b = box {
            var grown = b
            for click in clicks where click.positive {
                grown = (min(grown.0, click.x), min(grown.1, click.y), max(grown.2, click.x + 1), max(grown.3, click.y + 1))
            }
            box = grown
        }
        let last = clicks[clicks.count - 1]
        guard let (x0, y0, x1, y1) = box else {
            return .centred(x: Double(last.x), y: Double(last.y), size: options.firstClickWindow, outputSize: size)
        }
        let side = Double(max(x1 - x0, y1 - y0)) * options.expansion
        let windowSize = Int(min(max(side, Double(options.minimumWindow)), Double(options.maximumWindow)).rounded())
        let candidate = ZoomWindow.centred(x: Double(x0 + x1) / 2, y: Double(y0 + y1) / 2, size: windowSize, outputSize: size)
        if let kept = previous.window, kept.size <= windowSize * 5 / 4, kept.size >= windowSize * 3 / 4,
           kept.contains(x: x0 - 2, y: y0 - 2), kept.contains(x: x1 + 1, y: y1 + 1),
           clicks.allSatisfy({ kept.contains(x: $0.x - 2, y: $0.y - 2) && kept.contains(x: $0.x + 2, y: $0.y + 2) }) {
            return kept
        }
        return candidate
    }
}
