import Foundation
import Project

/// Runs the cycles of a plan against a project, step by step. After each step the state
/// is committed to the project; on start, completed steps are skipped and the state is
/// taken from the last one, so killing the process at any moment loses at most the step
/// in progress and never duplicates an accepted annotation.
public struct CycleRunner: Sendable {
    public let plan: CyclePlan
    public let project: ProjectStore
    public let stages: any CycleStages
    /// Called with a line for every step started, skipped or finished.
    public var progress: @Sendable (String) -> Void

    public init(plan: CyclePlan, project: ProjectStore, stages: any CycleStages,
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.plan = plan
        self.project = project
        self.stages = stages
        self.progress = progress
    }

    /// Runs (or resumes) every cycle; returns the cycle records.
    @discardableResult
    public func run() async throws(CycleError) -> [CycleRecord] {
        try plan.validate()
        var state = try resumeState()
        for cycle in 1...plan.cycles {
            for step in CycleStep.steps(ofCycle: cycle) {
                if let done = try stored(cycle: cycle, step: step) {
                    state = done
                    progress("cycle \(cycle): \(step.rawValue) already done, skipped")
                    continue
                }
                progress("cycle \(cycle): \(step.rawValue) …")
                let started = ContinuousClock.now
                state = try await execute(step, cycle: cycle, state: state)
                let seconds = Self.seconds(since: started)
                try recordArtifacts(state)
                try record(StepRecord(cycle: cycle, name: step.rawValue, output: Self.encode(state), seconds: seconds))
                progress(String(format: "cycle %d: %@ done in %.1f s", cycle, step.rawValue, seconds))
            }
        }
        do {
            return try project.cycles()
        } catch {
            throw .project("\(error)")
        }
    }

    private func execute(_ step: CycleStep, cycle: Int, state: CycleState) async throws(CycleError) -> CycleState {
        do {
            switch step {
            case .synthesize: return try await stages.synthesize(state, plan: plan)
            case .trainRefiner: return try await stages.trainRefiner(state, plan: plan)
            case .refine: return try await stages.refine(state, plan: plan)
            case .selectCrops:
                let done = Set(try project.annotations().map {
                    CropChoice(image: $0.imageName, x: $0.cropX, y: $0.cropY, size: $0.cropWidth, score: 0)
                })
                return try await stages.selectCrops(state, cycle: cycle, plan: plan, alreadyAnnotated: done)
            case .annotate:
                let project = self.project
                let before = try project.annotations().filter { $0.cycle == cycle }.map(AcceptedCrop.init)
                var next = try await stages.annotate(state, cycle: cycle, plan: plan, accepted: before) { accepted in
                    try project.recordAnnotation(AnnotationRecord(accepted, cycle: cycle))
                }
                // Totals come from the project, so a resumed annotation step counts each crop once.
                let annotations = try project.annotations()
                next.clicks = annotations.reduce(0) { $0 + $1.clickCount }
                next.annotatedNuclei = annotations.reduce(0) { $0 + $1.nucleusCount }
                return next
            case .trainInteractive: return try await stages.trainInteractive(state, cycle: cycle, plan: plan)
            case .trainHoVerNet: return try await stages.trainHoVerNet(state, cycle: cycle, plan: plan)
            case .evaluate:
                let scores = try await stages.evaluate(state, cycle: cycle, plan: plan)
                let seconds = try project.completedSteps().filter { $0.cycle == cycle }.reduce(0) { $0 + $1.seconds }
                try project.recordCycle(CycleRecord(
                    number: cycle, scores: scores, clicks: state.clicks, annotatedNuclei: state.annotatedNuclei, seconds: seconds,
                    hovernetModelSHA256: state.hovernetModel ?? "", interactiveModelSHA256: state.interactiveModel ?? ""))
                return state
            }
        } catch {
            if let error = error as? CycleError, case .stageFailed = error { throw error }
            throw .stageFailed(step: step.rawValue, cycle: cycle, reason: "\(error)")
        }
    }

    private func resumeState() throws(CycleError) -> CycleState {
        let steps: [StepRecord]
        do {
            steps = try project.completedSteps()
        } catch {
            throw .project("\(error)")
        }
        guard let last = steps.max(by: { ($0.cycle, $0.completedAt) < ($1.cycle, $1.completedAt) }) else {
            return CycleState()
        }
        return try Self.decode(last.output)
    }

    private func stored(cycle: Int, step: CycleStep) throws(CycleError) -> CycleState? {
        do {
            return try project.completedStep(cycle: cycle, name: step.rawValue).map { record throws(CycleError) in
                try Self.decode(record.output)
            }
        } catch let error as CycleError {
            throw error
        } catch {
            throw .project("\(error)")
        }
    }

    /// Artifacts are recorded before the step that made them, so a completed step's
    /// outputs are always in the project.
    private func recordArtifacts(_ state: CycleState) throws(CycleError) {
        do {
            for artifact in state.artifacts ?? [] {
                try project.recordArtifact(ArtifactRecord(sha256: artifact.sha256, kind: artifact.kind, path: artifact.path,
                                                          sizeBytes: artifact.sizeBytes, parameters: artifact.parameters))
            }
        } catch {
            throw .project("\(error)")
        }
    }

    private func record(_ step: StepRecord) throws(CycleError) {
        do {
            try project.completeStep(step)
        } catch {
            throw .project("\(error)")
        }
    }

    static func encode(_ state: CycleState) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? String(decoding: encoder.encode(state), as: UTF8.self)) ?? "{}"
    }

    static func decode(_ text: String) throws(CycleError) -> CycleState {
        do {
            return try JSONDecoder().decode(CycleState.self, from: Data(text.utf8))
        } catch {
            throw .project("stored cycle state does not decode: \(error)")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
