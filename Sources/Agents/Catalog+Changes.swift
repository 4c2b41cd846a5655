import AgentRuntime

/// What a proposed change to the definition files does to a catalog.
extension Catalog {
    /// A crew that loads in this catalog but would not after a change, with the errors the changed catalog reports
    /// in its file.
    public struct BrokenCrew: Sendable {
        /// The crew.
        public var id: CrewID
        /// Its file (display path).
        public var file: String
        /// The errors in its file after the change.
        public var errors: [Diagnostic]
    }

    /// The crews that load in this catalog but not in `proposed` (the same files with one changed), sorted by id:
    /// what the change would break. Crews already broken here are not the change's doing and are not listed.
    public func crewsBroken(in proposed: Catalog) -> [BrokenCrew] {
        crews.filter { proposed.crew($0.id) == nil }.map { crew in
            let file = crewFiles[crew.id] ?? ""
            return BrokenCrew(
                id: crew.id, file: file,
                errors: proposed.diagnostics.filter { $0.severity == .error && $0.file == file })
        }
    }
}
