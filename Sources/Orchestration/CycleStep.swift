/// The steps of a cycle, in order. Cycle 1 starts from synthetic data; later cycles add
/// annotated real crops. Each completed step is recorded with its output, so a run that
/// is killed resumes after the last completed one.
public enum CycleStep: String, Codable, Sendable, CaseIterable {
    case synthesize
    case trainRefiner = "train-refiner"
    case refine
    case selectCrops = "select-crops"
    case annotate
    case trainInteractive = "train-interactive"
    case trainHoVerNet = "train-hovernet"
    case evaluate

    public static func steps(ofCycle cycle: Int) -> [CycleStep] {
        cycle == 1
            ? [.synthesize, .trainRefiner, .refine, .trainInteractive, .trainHoVerNet, .evaluate]
            : [.selectCrops, .annotate, .trainInteractive, .trainHoVerNet, .evaluate]
    }
}
