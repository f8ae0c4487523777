import ArgumentParser
import Foundation
import Interactive

/// Zoom-in and f-BRS settings shared by the commands that predict (defaults: PredictorOptions).
struct PredictorTuning: ParsableArguments {
    @Option(help: "Window side (image px) around a first click. (default: the model's training windows)")
    var firstWindow: Int?
    @Option(help: "Later windows: bbox of mask and positive clicks times this.")
    var expansion: Double?
    @Option(help: "Smallest window side (image px). (default: the model's training windows)")
    var minWindow: Int?
    @Option(help: "f-BRS L2 weight on the scale/bias deviations.")
    var fbrsLambda: Double?
    @Option(help: "f-BRS: radius (network px) of the enforced disk around each click.")
    var fbrsRadius: Double?
    @Option(help: "Probability threshold of the mask.")
    var threshold: Float?
    @Flag(inversion: .prefixedNo, help: "Keep only the mask's parts connected to a positive click.")
    var clickedComponentsOnly = PredictorOptions().clickedComponentsOnly
    @Flag(inversion: .prefixedNo, help: "Predict a second time in the window the first prediction's mask calls for, when it differs.")
    var refocus = PredictorOptions().refocus

    /// Loads `model` once and predicts with the defaults at its training windows, the options
    /// given, then `adjust`.
    func predictor(model: String, adjust: (inout PredictorOptions) -> Void = { _ in }) throws -> InteractivePredictor {
        let (network, metadata) = try ModelFile.load(URL(fileURLWithPath: model))
        var options = self.options(base: PredictorOptions(trainedWith: metadata.zoom))
        adjust(&options)
        return InteractivePredictor(network: network, options: options)
    }

    private func options(base: PredictorOptions) -> PredictorOptions {
        var options = base
        if let firstWindow { options.firstClickWindow = firstWindow }
        if let expansion { options.expansion = expansion }
        if let minWindow { options.minimumWindow = minWindow }
        if let fbrsLambda { options.fbrs.regularization = fbrsLambda }
        if let fbrsRadius { options.fbrs.clickRadius = fbrsRadius }
        if let threshold { options.threshold = threshold }
        options.clickedComponentsOnly = clickedComponentsOnly
        options.refocus = refocus
        return options
    }
}
