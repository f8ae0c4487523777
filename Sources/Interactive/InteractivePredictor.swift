import Foundation
import Imaging
import Learning

/// Inference settings: zoom-in geometry (image pixels, tuned for 10–40 px nuclei) and f-BRS.
public struct PredictorOptions: Sendable, Equatable {
    /// Window side around a first click with no mask yet: a 40 px nucleus clicked near its
    /// centre fits with room to spare.
    public var firstClickWindow = 64
    /// Later windows: the bbox of the mask and positive clicks × `expansion`, clamped.
    public var expansion = 1.6
    public var minimumWindow = 48
    public var maximumWindow = 192
    public var useFBRS = true
    public var fbrs = FeatureBRS()
    /// Probability above which a pixel belongs to the object. Below 0.5 because the network's
    /// masks sit a pixel or two inside the annotated outlines; chosen with f-BRS on 600
    /// MoNuSeg training nuclei (NoC@85 4.73 → 4.70 and 9.88 → 9.75 for a model trained on
    /// their masks and one trained on synthetic pairs; NoC@90 10.63 → 10.22, 15.44 → 15.10).
    public var threshold: Float = 0.4
    /// Keep only the parts of the mask connected (8-neighbourhood) to a positive click: a
    /// click names one nucleus, so islands elsewhere in the window are a neighbour's pixels.
    public var clickedComponentsOnly = true
    /// After a click, predict once more in the window the new mask calls for when it differs
    /// from the one just used (same clicks, same previous mask): the first click's fixed
    /// window is a guess at the nucleus's size, the second pass frames the nucleus it found.
    public var refocus = false

    public init() {}

    /// Defaults, with the windows a model was trained with (`TrainingZoom.legacy` when the
    /// file predates stored geometry).
    public init(trainedWith zoom: TrainingZoom?) {
        let zoom = zoom ?? .legacy
        firstClickWindow = zoom.firstClickWindow
        minimumWindow = zoom.minimumWindow
    }
}

/// The network plus inference settings; shared by many sessions (it holds no per-image
/// state, and the network is only read — frozen weights, eval-mode batch norm).
public final class InteractivePredictor: @unchecked Sendable {
    public let network: InteractiveNetwork
    public let options: PredictorOptions
    let input: NetworkInput

    public init(network: InteractiveNetwork, options: PredictorOptions = .init()) {
        network.setTraining(false)
        network.setFrozen(true)
        self.network = network
        self.options = options
        self.input = NetworkInput(configuration: network.configuration)
    }

    /// Loads a model file; without `options`, predicts with the defaults at the windows the
    /// model was trained with.
    public convenience init(modelFile: URL, options: PredictorOptions? = nil) throws(InteractiveError) {
        let (network, metadata) = try ModelFile.load(modelFile)
        self.init(network: network, options: options ?? PredictorOptions(trainedWith: metadata.zoom))
    }

    public var inputSize: Int { network.configuration.inputSize }

    /// Per-crop cache of the image half of the first conv.
    final class CropCache {
        var window: ZoomWindow?
        var imageFeatures: Tensor?
        var detail: Tensor?
    }

    struct WindowPrediction {
        var window: ZoomWindow
        /// `inputSize²` probabilities.
        var probabilities: [Float]
        var fbrsIterations: Int
    }

    /// Predicts the object in `window` from clicks (image coordinates) and the previous
    /// probabilities (read through `previous`, 0 where there is none).
    func predict(image: RGBImage, window: ZoomWindow, clicks: [Click], previous: ((Int, Int) -> Float)?,
                 cache: CropCache, useFBRS: Bool) throws(LearningError) -> WindowPrediction {
        let points = clicks.map { click in
            let p = window.toNetwork(x: Double(click.x), y: Double(click.y))
            return (u: p.u, v: p.v, positive: click.positive)
        }
        let previousMap = previous.map { window.sample(width: image.width, height: image.height, $0) }
        let guidance = input.batch([input.guidance(points: points, previous: previousMap)], channels: 3)
        let imageFeatures: Tensor, detail: Tensor?
        if cache.window == window, let cached = cache.imageFeatures {
            imageFeatures = cached
            detail = cache.detail
        } else {
            let crop = input.batch([input.image(image, window: window)], channels: 3)
            (imageFeatures, detail) = try Autograd.noGrad { () throws(LearningError) in
                (try network.imageFeatures(crop), try network.detailFeatures(crop))
            }
            cache.window = window
            cache.imageFeatures = imageFeatures
            cache.detail = detail
        }
        let (features, logits) = try Autograd.noGrad { () throws(LearningError) in
            let features = try network.backbone(imageFeatures: imageFeatures, guidance: guidance)
            return (features, try network.head(features, detail: detail))
        }
        var final = logits, iterations = 0
        if useFBRS {
            let outcome = try options.fbrs.refine(network: network, features: features, detail: detail, initialLogits: logits,
                                                  points: points)
            final = outcome.logits
            iterations = outcome.iterations
        }
        let probabilities = (0..<final.count).map { 1 / (1 + Foundation.exp(-final.data[$0])) }
        return WindowPrediction(window: window, probabilities: probabilities, fbrsIterations: iterations)
    }
}
