import ArgumentParser
import MariaDBClient
import Replication

/// A reversible cutover: the way back set up before the target takes writes, the switch back, and its end.
struct WayBackOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Before the target takes writes, make the source replicate from it (from the target's binlog position "
                + "at that moment, through the connection \(WayBack.reverseConnectionName)), so that --revert can "
                + "switch back without losing a write. Checked first, nothing changed when a check fails: a row "
                + "binlog on the target, distinct server ids, no reverse stream already there. The replication "
                + "account is made on the target without binlogging it, with the password of "
                + "--replication-password-file."))
    var reversible = false

    @Flag(
        help: ArgumentHelp(
            "Switch back to the source (--host) the way the cutover switched forward: refuse writes on the target, "
                + "wait until the source applied every transaction of the reverse stream, open the source; the "
                + "target replicates from the source again, so a later cutover can go forward once more."))
    var revert = false

    @Flag(help: "Drop the reverse stream on the source once you are sure: no way back any more.")
    var finish = false

    @Option(help: "The account either side replicates with.")
    var replicationUser = SystemObjects.replicationAccount

    @Option(
        help: ArgumentHelp(
            "Read its password from this file (default: migration-out/replication.password, as replicate writes "
                + "it). Env: MARIADB_REPLICATION_PASSWORD.",
            valueName: "path"))
    var replicationPasswordFile: String?

    @Option(help: "The target's address as the source sees it, for the reverse stream (default: --target-host).")
    var reverseHost: String?

    @Option(help: "The target's port as the source sees it (default: --target-port, else 3306).")
    var reversePort: Int?

    @Option(help: "With --revert: the source's address as the target sees it (default: --host).")
    var replicationHost: String?

    @Option(help: "With --revert: the source's port as the target sees it (default: --port, else 3306).")
    var replicationPort: Int?

    func validate() throws {
        if [reversible, revert, finish].filter({ $0 }).count > 1 {
            throw ValidationError("--reversible, --revert and --finish do different things: give one")
        }
    }

    /// What these flags make of a request: its direction and how either side reaches the other.
    func apply(to request: inout CutoverRequest) {
        request.direction = revert ? .revert : finish ? .finish : reversible ? .reversible : .forward
        request.replicationUser = replicationUser
        request.replicationPasswordFile = replicationPasswordFile
        request.reverseHost = reverseHost
        request.reversePort = reversePort
        request.replicationHost = replicationHost
        request.replicationPort = replicationPort
    }
}
