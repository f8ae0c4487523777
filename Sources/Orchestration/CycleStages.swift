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
    func annotate(_ state: CycleState, cycle: Int, plan: CyclePlan,
                  accept: @Sendable (AcceptedCrop) async throws -> Void) async throws -> CycleState
    func trainInteractive(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState
    func trainHoVerNet(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleState
    func evaluate(_ state: CycleState, cycle: Int, plan: CyclePlan) async throws -> CycleEvaluation
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

    public init(crop: CropChoice, instanceMapSHA256: String, instanceMapPath: String, nucleusCount: Int, clicks: String,
                clickCount: Int, seconds: Double, modelSHA256: String, annotator: String) {
        self.crop = crop
        self.instanceMapSHA256 = instanceMapSHA256
        self.instanceMapPath = instanceMapPath
        self.nucleusCount = nucleusCount
        self.clicks = clicks
        self.clickCount = clickCount
        self.seconds = seconds
        self.modelSHA256 = modelSHA256
        self.annotator = annotator
    }
}
