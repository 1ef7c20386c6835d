import ArgumentParser
import Foundation
import Replication

/// `verify --live`: a replicating target compared with its source while both keep running.
struct LiveVerifyOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Compare a target that replicates from the source while both keep running: each table is read on both "
                + "servers at one GTID position (the replica's SQL thread stops briefly, no lock is taken on the "
                + "source) and compared in primary-key chunks by checksums the servers compute; differing rows are "
                + "reported with their keys."))
    var live = false

    @Flag(help: "With --live: go on from the last compared chunk of the interrupted live verify of these servers.")
    var resume = false

    @Option(help: ArgumentHelp("With --live: the differing rows listed per table (all are counted).", valueName: "n"))
    var showRows = 10

    @Option(
        help: ArgumentHelp(
            "With --live: the seconds a chunk should take; its rows follow (at most doubling or halving a step).",
            valueName: "seconds"))
    var chunkTime = 0.5

    @Option(
        help: ArgumentHelp(
            "With --live: pause while the source's status variable is above the value (only Threads_running).",
            valueName: "Threads_running=n"))
    var maxLoad = "Threads_running=25"

    @Option(
        help: ArgumentHelp("With --live: pause while the replica is more than this many seconds behind.",
            valueName: "seconds"))
    var maxReplicaLag = 30

    @Option(help: "With --live: the name of the target's replication connection (as given to replicate).")
    var connectionName = ReplicationSetup.defaultConnectionName

    @Option(
        help: ArgumentHelp(
            "With --live: the directory of the progress files, one per pair of servers (what --resume reads and "
                + "cutover checks).",
            valueName: "directory"))
    var stateDirectory = LiveVerifyOptions.defaultStateDirectory

    static let defaultStateDirectory = "migration-out/verify-live"

    func validate() throws {
        guard live else {
            if resume { throw ValidationError("--resume needs --live") }
            return
        }
        _ = try threadsRunningLimit()
        guard chunkTime > 0 && chunkTime <= 60 else {
            throw ValidationError("--chunk-time \(chunkTime) is not between 0 and 60 seconds: give e.g. 0.5")
        }
        guard showRows >= 0 else { throw ValidationError("--show-rows \(showRows) is negative: give 0 or more") }
        guard maxReplicaLag > 0 else {
            throw ValidationError("--max-replica-lag \(maxReplicaLag) is not positive: give seconds, e.g. 30")
        }
    }

    func threadsRunningLimit() throws -> Int {
        let parts = maxLoad.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].lowercased() == "threads_running", let limit = Int(parts[1]), limit > 0
        else {
            throw ValidationError("--max-load '\(maxLoad)' is not Threads_running=N: write e.g. Threads_running=25")
        }
        return limit
    }

    func job(databases: [String]) throws -> LiveVerifyJob {
        var job = LiveVerifyJob(stateDirectory: stateDirectory)
        job.databases = databases
        job.connectionName = connectionName
        job.showRows = showRows
        job.chunkSeconds = chunkTime
        job.maxThreadsRunning = try threadsRunningLimit()
        job.maxLagSeconds = maxReplicaLag
        job.resume = resume
        return job
    }
}
