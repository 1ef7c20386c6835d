import CBuildInfo

/// What this binary is: its version (written once, in CBuildInfo's header) and the commit it was built from.
public enum BuildInfo {
    public static let version: String = MM_VERSION

    /// The commit `scripts/package` built from; nil in a developer's build.
    public static let commit: String? = {
        let commit = String(cString: mm_build_commit())
        return commit.isEmpty ? nil : commit
    }()

    /// `0.1.0 (commit 1a2b3c4)`, or `0.1.0 (a development build, …)`: what `--version` prints.
    public static var description: String {
        "\(version) (\(commit.map { "commit \($0)" } ?? "a development build, no commit recorded"))"
    }

    /// The name backups' manifests and the CRs' annotations give this tool: `mariadb-migrate 0.1.0`.
    public static var tool: String { "mariadb-migrate \(version)" }
}
