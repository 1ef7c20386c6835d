import ArgumentParser
import Foundation
import MariaDBClient
import Presentation
import Replication
import Terminal

extension MariaDBMigrate {
    /// The switch-over of a live migration: no write made on the source is lost.
    struct Cutover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Switch from the source to the target that replicates from it (see replicate): wait until it is "
                + "close behind, refuse writes on the source, wait until the target applied the last one, then "
                + "end replication. Reports the time writes were refused.",
            discussion:
                "Writes are refused with read_only=1, which accounts with READ_ONLY ADMIN or SUPER ignore; --lock "
                + "also holds FLUSH TABLES WITH READ LOCK. If the target does not catch up within --timeout, the "
                + "cutover is rolled back: the source takes writes again, replication keeps running, exit 1. "
                + "After a cutover the source stays read-only: point the applications at the target."
        )

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup(title: "Target connection") var target: TargetConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The name of the target's replication connection (as given to replicate).")
        var connectionName = ReplicationSetup.defaultConnectionName

        @Flag(help: "Only show the lag (GTID distance and seconds) until interrupted; change nothing.")
        var watch = false

        @Flag(help: "Print the lag once and exit; change nothing.")
        var status = false

        @Flag(help: "Switch over without asking.")
        var yes = false

        @Option(help: "Refuse writes only once the target is at most this many transactions behind.")
        var maxLag = CutoverJob().maxLag

        @Option(help: ArgumentHelp("Seconds to wait for that; nothing changes meanwhile.", valueName: "seconds"))
        var catchUpTimeout = CutoverJob().catchUpTimeout

        @Option(
            help: ArgumentHelp(
                "Seconds writes may be refused before the cutover is rolled back.", valueName: "seconds"))
        var timeout = CutoverJob().timeout

        @Flag(help: "Also hold FLUSH TABLES WITH READ LOCK on the source while switching.")
        var lock = false

        @Option(
            help: ArgumentHelp(
                "When the side giving up the writes is a Galera node (the source, or the target on --revert): the "
                    + "nodes that refuse writes with it, since read_only is per node. auto reads them from its "
                    + "wsrep_incoming_addresses and refuses, changing nothing, when one cannot be told or reached; "
                    + "give HOST:PORT,… as this machine reaches them, or none when the applications write through "
                    + "that node only.",
                valueName: "auto|none|host:port,…"))
        var galeraNodes = GaleraNodes.discover

        @Option(
            help: ArgumentHelp(
                "Where verify --live keeps its records (its --state-directory): the cutover refuses when the last "
                    + "live verify of these servers found a difference, did not end, or is older than "
                    + "--verify-max-age; no record, no check.",
                valueName: "directory"))
        var verifyStateDirectory = CutoverRequest.defaultVerifyStateDirectory

        @Option(help: ArgumentHelp("How old the last live verify may be.", valueName: "seconds"))
        var verifyMaxAge = CutoverRequest().verifyMaxAge

        @Flag(help: "Switch over even when the last live verify found a difference or is too old.")
        var force = false

        @OptionGroup(title: "The way back") var wayBack: WayBackOptions

        func validate() throws {
            guard timeout > 0, timeout <= 86_400 else {
                throw ValidationError("--timeout '\(timeout)' is outside 0-86400 seconds")
            }
            guard catchUpTimeout >= 0 else { throw ValidationError("--catch-up-timeout must not be negative") }
        }

        var job: CutoverJob {
            CutoverJob(
                connectionName: connectionName, maxLag: maxLag, catchUpTimeout: catchUpTimeout, timeout: timeout,
                lock: lock)
        }

        /// What this run does, as a runbook's cutover, revert or finish step builds it too.
        var request: CutoverRequest {
            var request = CutoverRequest()
            request.job = job
            request.verifyStateDirectory = verifyStateDirectory
            request.verifyMaxAge = verifyMaxAge
            request.force = force
            request.galeraNodes = galeraNodes
            wayBack.apply(to: &request)
            return request
        }

        func run() async throws {
            let sourceSettings = try connection.resolve(prompter: connection.askPassword ? Prompter() : nil)
            let targetSettings = try target.resolve()
            async let sourceConnection = MariaDBConnection.connect(sourceSettings)
            async let targetConnection = MariaDBConnection.connect(targetSettings)
            let (source, destination) = try await (sourceConnection, targetConnection)
            let mode = ProgressMeter.mode(json: output.json)
            let request = request
            let environment = ProcessInfo.processInfo.environment
            if status || watch {
                repeat {
                    let lag = try await CutoverJob.lag(
                        source: source, target: destination, connectionName: connectionName)
                    if output.json {
                        try output.printJSON(lag)
                    } else {
                        Console.out(CutoverDisplay.text(lag) + "\n")
                    }
                    if watch { try await Task.sleep(for: .seconds(1)) }
                } while watch
                return
            }
            // Refused before anyone is asked.
            try request.checkLastLiveVerify(source: sourceSettings, target: targetSettings)
            if !yes && request.direction != .finish {
                let prompter = Prompter()
                guard prompter.isInteractive else {
                    Console.error(
                        "Error: cutover refuses writes on the source and nobody is here to confirm: add --yes to "
                            + "switch over, or --status/--watch to only look\n")
                    throw ExitCode(2)
                }
                let lag = try await CutoverJob.lag(source: source, target: destination, connectionName: connectionName)
                Console.error("\(destination.endpoint) is " + CutoverDisplay.text(lag) + "\n")
                let (losing, taking) =
                    request.direction == .revert ? (destination.endpoint, source.endpoint)
                    : (source.endpoint, destination.endpoint)
                let answer = try prompter.ask(
                    "Refuse writes on \(losing) and switch over to \(taking)? (yes/no)", defaultValue: "no", hint: "")
                guard answer.lowercased().hasPrefix("y") else { throw ExitCode(1) }
            }
            let display = CutoverDisplay(mode: mode)
            let outcome = try await runCancellingOnSignals {
                defer { display.finish() }
                return try await request.run(
                    source: source, target: destination, sourceSettings: sourceSettings,
                    targetSettings: targetSettings, environment: environment, events: display.show)
            }
            let report: CutoverJob.Report
            switch outcome {
            case .finished(let dropped, let server):
                if output.json { return try output.printJSON(["dropped": dropped]) }
                return print("dropped the reverse stream \(dropped) on \(server): no way back any more")
            case .switched(let switched):
                report = switched
            }
            if output.json { return try output.printJSON(report) }
            print(
                "switched over to \(report.target): writes were refused for "
                    + String(format: "%.2f", report.writeDowntimeSeconds)
                    + " s, \(report.drainedTransactions) transactions applied meanwhile, up to \(report.finalPosition)")
            print("  \(report.source) stays read-only (read_only=1): point the applications at \(report.target)")
            if let nodes = report.otherNodesNote { print("  " + nodes) }
            if report.targetMadeWritable { print("  \(report.target) was read-only: read_only=0 was set there") }
            if let note = report.leftAccountsNote { print("  " + note) }
            if let way = report.wayBack {
                print(
                    "  way back: \(report.source) replicates from \(report.target) through '\(way)' from "
                        + "\(report.wayBackFrom ?? "its start"); cutover --revert switches back, cutover --finish "
                        + "drops it")
            }
        }
    }
}

extension GaleraNodes: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
