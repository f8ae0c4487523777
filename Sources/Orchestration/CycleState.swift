/// What the cycle has produced so far: each step reads it and adds its outputs. It is
/// the JSON the project stores after every step, so it is all a resumed run needs.
public struct CycleState: Codable, Sendable, Equatable {
    /// Folder datasets (images/ + instance_masks/) the models train on.
    public var syntheticDataset: String?
    public var refinerModel: String?
    public var refinedDataset: String?
    /// Synthetic (then refined) pairs for label-free post-processing tuning; nil = none.
    public var validationDataset: String?
    /// Crops chosen for annotation in the current cycle.
    public var selectedCrops: [CropChoice] = []
    /// Folder dataset of every accepted annotation so far (masks made with clicks, never
    /// copied from ground truth).
    public var annotatedDataset: String?
    /// Models by SHA-256 digest.
    public var interactiveModel: String?
    public var hovernetModel: String?
    /// Where each model can be read (digest → path on the shared volume), so that any
    /// instance of a service can load a model another instance trained.
    public var artifactPaths: [String: String]?
    /// Every dataset and model the cycle has made, with what made it; the runner records
    /// them in the project after each step.
    public var artifacts: [ProducedArtifact]?
    public var clicks = 0
    public var annotatedNuclei = 0

    public init() {}
}

/// A crop of a pool image chosen for annotation, and why.
public struct CropChoice: Codable, Sendable, Equatable, Hashable {
    public var image: String
    public var x: Int
    public var y: Int
    public var size: Int
    /// Uncertainty of the current HoVerNet model on the crop (0 for random choice).
    public var score: Double

    public init(image: String, x: Int, y: Int, size: Int, score: Double) {
        self.image = image
        self.x = x
        self.y = y
        self.size = size
        self.score = score
    }
}

/// A dataset or model a step produced, by content digest.
public struct ProducedArtifact: Codable, Sendable, Equatable {
    public var sha256: String
    /// "synthetic-dataset", "refined-dataset", "training-mix", "hovernet-model", ...
    public var kind: String
    public var path: String
    public var sizeBytes: Int
    /// What made it (JSON object as text): step, cycle, budget, inputs.
    public var parameters: String

    public init(sha256: String, kind: String, path: String, sizeBytes: Int, parameters: String) {
        self.sha256 = sha256
        self.kind = kind
        self.path = path
        self.sizeBytes = sizeBytes
        self.parameters = parameters
    }
}
