/// What a step of an action changes outside this machine: the wizard asks before it (unless --yes) and
/// `--explain` says so.
public enum ActionEffect: String, Sendable, Equatable {
    /// Only this machine's files, or nothing.
    case none
    /// The store: outside this machine only when it is S3.
    case store
    /// The server at target-host.
    case target
    /// The server at source-host.
    case source
    /// The source and the server at target-host.
    case sourceAndTarget
    /// The data directory at target-datadir.
    case dataDirectory
}

/// A built-in action as the loader checks a step against it: the inputs it takes and the outputs it gives, and
/// what it changes. RunbookActions derives these from its one table of actions and hands them to the loader.
public struct ActionSpec: Sendable, Equatable {
    public var name: String
    public var required: Set<String>
    public var accepts: Set<String>
    public var outputs: [String]
    public var effect: ActionEffect

    public init(name: String, required: Set<String>, accepts: Set<String>, outputs: [String], effect: ActionEffect) {
        self.name = name
        self.required = required
        self.accepts = accepts
        self.outputs = outputs
        self.effect = effect
    }
}
