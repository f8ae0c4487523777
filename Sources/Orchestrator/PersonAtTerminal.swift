import Clients
import Wire

/// A person annotating at the terminal, in place of the simulated annotator.
public struct PersonAtTerminal: Sendable {
    /// Recorded with each annotation as "person:NAME".
    public var name: String
    /// Where the overlay of the crop being annotated is shown.
    public var overlayPath: String
    public var make: @Sendable (InteractiveClient, Annotator_V1_ArtifactRef?) -> PersonAnnotator

    public init(name: String, overlayPath: String, make: @escaping @Sendable (InteractiveClient, Annotator_V1_ArtifactRef?) -> PersonAnnotator) {
        self.name = name
        self.overlayPath = overlayPath
        self.make = make
    }
}
