import ArgumentParser

// `annotator`: the command-line client, service host and orchestrator of the project.
// OpenBLAS must see its core type before it loads, so that comes first.
BLASLauncher.reexecWithCoreTypeIfNeeded()
await runAnnotator()

/// Parses the command line and runs the chosen command (async commands awaited).
func runAnnotator() async {
    do {
        var command = try AnnotatorCommand.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch {
        AnnotatorCommand.exit(withError: error)
    }
}
