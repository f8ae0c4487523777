/// How a project runs its cycles. Every field has a documented default.
public struct CyclePlan: Codable, Sendable, Equatable {
    /// Cycles to run; cycle 1 trains on synthetic data only. Default 5 (as the report).
    public var cycles = 5
    /// Side of the square real crops annotated from cycle 2 on. Default 400 (the report's).
    public var cropSize = 400
    /// Crops annotated per cycle. Default 1.
    public var cropsPerCycle = 1
    /// How crops are chosen: the most uncertain for the current model, or at random.
    public var selection = CropSelection.activeLearning
    /// Synthetic pairs generated in cycle 1. Default 300.
    public var syntheticCount = 300
    /// Training budgets per stage, in minutes (wall clock).
    public var budgets = StageBudgets()
    /// Clicks the annotator may spend on one nucleus. Default 2 (the report's budget).
    public var clicksPerNucleus = 2
    /// Later cycles train on at most this many synthetic pairs plus the annotated crops,
    /// repeated to make `realShare` of the samples. Defaults 100 and 0.5.
    public var mixSyntheticLimit = 100
    public var realShare = 0.5
    /// Synthetic pairs (another seed, refined like the training set) on which every
    /// HoVerNet model's post-processing is tuned after training — label-free, since their
    /// masks are made, not drawn. Default 30; 0 keeps the reference parameters. A project
    /// stored before this setting existed reads as 0.
    public var postProcessingValidationCount = 30
    public var seed: UInt64 = 0
    /// Model shapes and training patches; empty = the services' defaults (sized for 2 cores).
    public var models = ModelSettings()

    public init() {}

    /// Missing keys take their defaults, so a project stored by an earlier version still opens.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CyclePlan()
        cycles = try values.decodeIfPresent(Int.self, forKey: .cycles) ?? defaults.cycles
        cropSize = try values.decodeIfPresent(Int.self, forKey: .cropSize) ?? defaults.cropSize
        cropsPerCycle = try values.decodeIfPresent(Int.self, forKey: .cropsPerCycle) ?? defaults.cropsPerCycle
        selection = try values.decodeIfPresent(CropSelection.self, forKey: .selection) ?? defaults.selection
        syntheticCount = try values.decodeIfPresent(Int.self, forKey: .syntheticCount) ?? defaults.syntheticCount
        budgets = try values.decodeIfPresent(StageBudgets.self, forKey: .budgets) ?? defaults.budgets
        clicksPerNucleus = try values.decodeIfPresent(Int.self, forKey: .clicksPerNucleus) ?? defaults.clicksPerNucleus
        mixSyntheticLimit = try values.decodeIfPresent(Int.self, forKey: .mixSyntheticLimit) ?? defaults.mixSyntheticLimit
        realShare = try values.decodeIfPresent(Double.self, forKey: .realShare) ?? defaults.realShare
        postProcessingValidationCount = try values.decodeIfPresent(Int.self, forKey: .postProcessingValidationCount) ?? 0
        seed = try values.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        models = try values.decodeIfPresent(ModelSettings.self, forKey: .models) ?? defaults.models
    }

    public func validate() throws(CycleError) {
        guard cycles >= 1 else { throw .invalidPlan("cycles must be at least 1") }
        guard cropSize >= 64 else { throw .invalidPlan("crop size must be at least 64 pixels") }
        guard cropsPerCycle >= 1 else { throw .invalidPlan("crops per cycle must be at least 1") }
        guard syntheticCount >= 1 else { throw .invalidPlan("synthetic count must be at least 1") }
        guard clicksPerNucleus >= 1 else { throw .invalidPlan("clicks per nucleus must be at least 1") }
        guard mixSyntheticLimit >= 1 else { throw .invalidPlan("the training mix needs at least 1 synthetic pair") }
        guard postProcessingValidationCount >= 0 else { throw .invalidPlan("post-processing validation pairs must be 0 or more") }
        guard realShare > 0, realShare < 1 else { throw .invalidPlan("the real share of the training mix must be in (0, 1)") }
        let minutes = [budgets.refinerMinutes, budgets.interactiveFirstMinutes, budgets.interactiveMinutes,
                       budgets.hovernetFirstMinutes, budgets.hovernetMinutes]
        guard minutes.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw .invalidPlan("training budgets must be minutes ≥ 0") }
        guard budgets.interactiveFirstMinutes > 0, budgets.hovernetFirstMinutes > 0 else {
            throw .invalidPlan("cycle 1 must train both models (budgets > 0)")
        }
    }
}

public enum CropSelection: String, Codable, Sendable, CaseIterable {
    /// Highest HoVerNet uncertainty first, at most one crop per image per cycle.
    case activeLearning = "active"
    case random
}

/// Shapes of the models the cycle trains, passed to the services as they are.
public struct ModelSettings: Codable, Sendable, Equatable {
    /// HoVerNet configuration as JSON (`HoVerNetConfiguration`); empty = the default.
    public var hovernetConfiguration = ""
    /// HoVerNet training patch side and batch size; 0 = the trainer's defaults (256, 8).
    public var hovernetPatchSize = 0
    public var hovernetBatchSize = 0
    /// HoVerNet peak learning rate; 0 = the trainer's default. The cycle keeps 1e-3, the
    /// rate its MoNuSeg figures were measured with: the trainer's 2e-3 was chosen for
    /// training from scratch on masks, and later cycles fine-tune the previous model.
    public var hovernetLearningRate: Float = 1e-3
    /// Interactive model configuration as JSON (`InteractiveModelConfiguration`); empty = the default.
    public var interactiveConfiguration = ""

    public init() {}

    /// Missing keys take their defaults, so a project stored by an earlier version still opens.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ModelSettings()
        hovernetConfiguration = try values.decodeIfPresent(String.self, forKey: .hovernetConfiguration) ?? defaults.hovernetConfiguration
        hovernetPatchSize = try values.decodeIfPresent(Int.self, forKey: .hovernetPatchSize) ?? defaults.hovernetPatchSize
        hovernetBatchSize = try values.decodeIfPresent(Int.self, forKey: .hovernetBatchSize) ?? defaults.hovernetBatchSize
        hovernetLearningRate = try values.decodeIfPresent(Float.self, forKey: .hovernetLearningRate) ?? defaults.hovernetLearningRate
        interactiveConfiguration = try values.decodeIfPresent(String.self, forKey: .interactiveConfiguration)
            ?? defaults.interactiveConfiguration
    }
}

/// What training budgets count.
public enum BudgetUnit: String, Codable, Sendable, CaseIterable {
    /// Wall-clock minutes (the default): a run takes a known time on any machine.
    case minutes
    /// Optimiser steps: a run is reproducible step for step on any machine.
    case steps
}

/// Training per stage and cycle, in minutes (or steps when `unit` is `.steps`).
public struct StageBudgets: Codable, Sendable, Equatable {
    /// Default minutes.
    public var unit = BudgetUnit.minutes
    /// GAN refiner (cycle 1 only); 0 skips refinement (models train on the initial
    /// syntheses). Default 10.
    public var refinerMinutes = 10.0
    /// Interactive model: cycle 1, then each fine-tuning. Default 8 and 3.
    public var interactiveFirstMinutes = 8.0
    public var interactiveMinutes = 3.0
    /// HoVerNet: cycle 1, then each fine-tuning (warm start). Default 15 and 8.
    public var hovernetFirstMinutes = 15.0
    public var hovernetMinutes = 8.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = StageBudgets()
        unit = try values.decodeIfPresent(BudgetUnit.self, forKey: .unit) ?? defaults.unit
        refinerMinutes = try values.decodeIfPresent(Double.self, forKey: .refinerMinutes) ?? defaults.refinerMinutes
        interactiveFirstMinutes = try values.decodeIfPresent(Double.self, forKey: .interactiveFirstMinutes) ?? defaults.interactiveFirstMinutes
        interactiveMinutes = try values.decodeIfPresent(Double.self, forKey: .interactiveMinutes) ?? defaults.interactiveMinutes
        hovernetFirstMinutes = try values.decodeIfPresent(Double.self, forKey: .hovernetFirstMinutes) ?? defaults.hovernetFirstMinutes
        hovernetMinutes = try values.decodeIfPresent(Double.self, forKey: .hovernetMinutes) ?? defaults.hovernetMinutes
    }
}

extension StageBudgets {
    /// One line for a run's log, e.g. "training budgets in steps: refiner 200; interactive
    /// 500, then 250 per cycle; HoVerNet 25, then 16 per cycle".
    public var summary: String {
        func amount(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
        let refiner = refinerMinutes > 0 ? "refiner \(amount(refinerMinutes))" : "no refiner"
        return "training budgets in \(unit.rawValue): \(refiner); "
            + "interactive \(amount(interactiveFirstMinutes)), then \(amount(interactiveMinutes)) per cycle; "
            + "HoVerNet \(amount(hovernetFirstMinutes)), then \(amount(hovernetMinutes)) per cycle"
    }
}

/// Why a cycle cannot run.
public enum CycleError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidPlan(String)
    /// A stage failed; the project keeps every step completed before it.
    case stageFailed(step: String, cycle: Int, reason: String)
    case project(String)

    public var description: String {
        switch self {
        case let .invalidPlan(detail): "invalid plan: \(detail)"
        case let .stageFailed(step, cycle, reason): "cycle \(cycle), step \(step) failed: \(reason)"
        case let .project(detail): detail
        }
    }
}
