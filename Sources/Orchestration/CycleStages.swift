import Project

/// The work behind each step. The product implements it with clients of the services;
/// tests implement it with fakes. Each call gets the state so far and the cycle number and
/// returns the updated state; it must not touch the project store (the runner does).
public protocol CycleStages: Sendable {
    func synthesize(_ state: CycleState, plan: CyclePlan) async throws -> CycleState
    func trainRefiner(_ state: CycleState, plan: CyclePlan) async throws -> CycleState
    func refine(_ state: CycleState, plan: CyclePlan) async throws -> CycleState
    func selectCrops(_ state: CycleState, cycle: Int, plan: CyclePlan, alreadyAnnotated: Set<CropChoice>) async throws -> CycleState
    /// Annotates the selected crops; each accepted crop is handed to `accept`, which
    /// commits it to the project before returning (so it is never lost or doubled).
    /// `accepted` holds the crops of this cycle committed before a kill: skip them.
    func annotate(_ state: CycleState, cycle: Int, plan: CyclePlan, accepted: [AcceptedCrop],
                  accept: @Sendable (AcceptedCrop) async throws -> Void) async throws -> CycleState
    func trainInteractive(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState
    func trainHoVerNet(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState
    /// The cycle's HoVerNet model scored on the evaluation set; nil when the project has none.
    func evaluate(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleScores?
}

/// One annotated crop as the annotator hands it over.
public struct AcceptedCrop: Sendable, Equatable {
    public var crop: CropChoice
    public var instanceMapSHA256: String
    public var instanceMapPath: String
    public var nucleusCount: Int
    /// JSON array of clicks with timestamps.
    public var clicks: String
    public var clickCount: Int
    public var seconds: Double
    public var modelSHA256: String
    /// "simulated", "person:NAME" or "tool:NAME".
    public var annotator: String
    /// Agreement of the accepted map with HoVerNet's segmentation of the crop before
    /// annotation (see AnnotationRecord).
    public var proposalDice: Double?
    public var proposalAJI: Double?

    public init(crop: CropChoice, instanceMapSHA256: String, instanceMapPath: String, nucleusCount: Int, clicks: String,
                clickCount: Int, seconds: Double, modelSHA256: String, annotator: String,
                proposalDice: Double? = nil, proposalAJI: Double? = nil) {
        self.crop = crop
        self.instanceMapSHA256 = instanceMapSHA256
        self.instanceMapPath = instanceMapPath
        self.nucleusCount = nucleusCount
        self.clicks = clicks
        self.clickCount = clickCount
        self.seconds = seconds
        self.modelSHA256 = modelSHA256
        self.annotator = annotator
        self.proposalDice = proposalDice
        self.proposalAJI = proposalAJI
    }
}

extension AcceptedCrop {
    /// The accepted crop a project record describes.
    public init(_ record: AnnotationRecord) {
        self.init(crop: CropChoice(image: record.imageName, x: record.cropX, y: record.cropY, size: record.cropWidth, score: 0),
                  instanceMapSHA256: record.instanceMapSHA256, instanceMapPath: record.instanceMapPath,
                  nucleusCount: record.nucleusCount, clicks: record.clicks, clickCount: record.clickCount,
                  seconds: record.seconds, modelSHA256: record.modelSHA256, annotator: record.annotator,
                  proposalDice: record.proposalDice, proposalAJI: record.proposalAJI)
    }

    /// Whether this is the annotation of `crop` (whatever its score).
    public func covers(_ crop: CropChoice) -> Bool {
        self.crop.image == crop.image && self.crop.x == crop.x && self.crop.y == crop.y && self.crop.size == crop.size
    }
}

extension AnnotationRecord {
    /// The project record of a crop accepted in `cycle`.
    public init(_ accepted: AcceptedCrop, cycle: Int) {
        self.init(cycle: cycle, imageName: accepted.crop.image, cropX: accepted.crop.x, cropY: accepted.crop.y,
                  cropWidth: accepted.crop.size, cropHeight: accepted.crop.size,
                  instanceMapSHA256: accepted.instanceMapSHA256, instanceMapPath: accepted.instanceMapPath,
                  nucleusCount: accepted.nucleusCount, clicks: accepted.clicks, clickCount: accepted.clickCount,
                  seconds: accepted.seconds, modelSHA256: accepted.modelSHA256, annotator: accepted.annotator,
                  proposalDice: accepted.proposalDice, proposalAJI: accepted.proposalAJI)
    }
}
