import ArgumentParser
import Dump

/// `--fix` and `--definer`: the definitions a dump rewrites so that Galera takes them (issue #31), shared by
/// `backup`, `scan` and `preflight`. The help lists each fix from `DumpFix`, the one table of them.
public struct FixOptions: ParsableArguments {
    @Option(
        name: .customLong("fix"),
        help: ArgumentHelp(
            "Rewrite definitions in the dump, never the rows, so the source need not change (comma-separated, or "
                + "repeat). " + DumpFix.allCases.map { "\($0.rawValue): \($0.help)." }.joined(separator: " "),
            valueName: "list"))
    var fixList: [String] = []

    @Option(
        help: ArgumentHelp(
            "With --fix definers: the account the definers not carried become (user@host; default "
                + "\(DefinitionFixOptions.defaultDefiner), which every MariaDB of the operator has), or "
                + "'\(DefinitionFixOptions.invokerWord)': views and routines lose such a definer and run as their "
                + "caller (SQL SECURITY INVOKER), triggers and events, which cannot, get "
                + "\(DefinitionFixOptions.defaultDefiner).",
            valueName: "account"))
    var definer: String?

    public init() {}

    /// The fixes named, in the order given; throws naming an unknown one.
    func fixes() throws -> [DumpFix] {
        do {
            return try DumpFix.parse(fixList.joined(separator: ","))
        } catch {
            throw ValidationError(error.message)
        }
    }
}
