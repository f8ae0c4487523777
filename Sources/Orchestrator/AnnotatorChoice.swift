import Project

/// Who annotates a project's crops, remembered in the project so that a resumed run goes
/// on with the same annotator (a person's project must not pass to the robot clicker
/// unnoticed, nor a robot's to a person).
public enum AnnotatorChoice: Equatable, Sendable {
    /// The robot clicker, guided by the pool's label maps.
    case simulated
    /// A person at the terminal, recorded by name with each annotation.
    case person(name: String)

    static let settingKey = "annotator"

    /// The stored choice, or nil when the project has none (it was never run, or was run
    /// before the choice was stored).
    public static func stored(in project: ProjectStore) throws -> AnnotatorChoice? {
        guard let text = try project.setting(settingKey) else { return nil }
        if text == "simulated" { return .simulated }
        if text.hasPrefix("person:") { return .person(name: String(text.dropFirst("person:".count))) }
        return nil
    }

    public func remember(in project: ProjectStore) throws {
        switch self {
        case .simulated: try project.setSetting(Self.settingKey, "simulated")
        case let .person(name): try project.setSetting(Self.settingKey, "person:\(name)")
        }
    }
}
