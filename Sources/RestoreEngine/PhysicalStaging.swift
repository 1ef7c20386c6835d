import AtomicFile
import BackupEngine
import Dump
import Foundation
import Hashing

/// Where a physical restore keeps its work between runs, so that a run killed mid-way goes on at the
/// step it stopped in: `.mariadb-migrate-restore-<key>/` in the staging directory (one per backup and
/// data directory), holding `state.json`, the object's local copy `object.part` when the store is
/// remote (kept until the end: an interrupted prepare extracts again from it, not from the network)
/// and the extracted backup `full/`. Removed when the restore ends or cannot go on.
struct PhysicalStaging {
    /// What has ended, in order. A step that started and did not end runs again.
    enum Step: String, Codable, Sendable, Comparable {
        case download, extracted, preparing, prepared, copyingBack, copied

        static func < (lhs: Step, rhs: Step) -> Bool {
            let order: [Step] = [.download, .extracted, .preparing, .prepared, .copyingBack, .copied]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    /// The object a run worked on: a later run goes on only with the same one.
    struct Object: Codable, Sendable, Equatable {
        var location: String
        var size: UInt64
        /// S3's ETag, or the file's modification time in a directory store.
        var version: String?
    }

    struct State: Codable, Sendable, Equatable {
        var object: Object
        var moveBack: Bool
        var step: Step
        /// Bytes of `object.part` known to be on disk (synced).
        var downloaded: UInt64
        /// The top-level names of the prepared backup: what copy-back puts into the data directory.
        var prepared: [String]
        /// What the extract step read and checked, for the report of a run that skips it.
        var checked: Checked?
        var binlog: DumpPosition?
    }

    struct Checked: Codable, Sendable, Equatable {
        var object: BackupManifest.Digest
        var content: BackupManifest.ContentDigest
    }

    /// What this run does, from what the last run left. Pure.
    struct Plan: Equatable {
        /// Bytes of the local copy to keep (0: download from the start).
        var keepBytes: UInt64
        var extract: Bool
        var prepare: Bool
        var copyBack: Bool
        /// Entries of the data directory that an interrupted copy-back left: removed first.
        var clear: [String]
        /// The step the last run had reached, when this run goes on from it.
        var resumedAfter: Step?
        /// A state of another object or other settings was found and is dropped.
        var discarded: Bool

        /// The steps that run, by the names the progress shows.
        func names(moveBack: Bool) -> [String] {
            (extract ? ["extract"] : []) + (prepare ? ["prepare"] : [])
                + (copyBack ? [moveBack ? "move-back" : "copy-back"] : [])
        }
    }

    enum Refusal: Error, Equatable {
        case dataDirectoryNotEmpty([String])
    }

    /// Decides from the last run's state (nil: none), the object now, the data directory's entries and
    /// `--move-back`. Pure.
    static func plan(
        state: State?, object: Object, occupants: [String], moveBack: Bool
    ) -> Result<Plan, Refusal> {
        let fresh = Plan(
            keepBytes: 0, extract: true, prepare: true, copyBack: true, clear: [], resumedAfter: nil,
            discarded: state != nil)
        guard let state, state.object == object, state.moveBack == moveBack else {
            return occupants.isEmpty ? .success(fresh) : .failure(.dataDirectoryNotEmpty(occupants))
        }
        var plan = Plan(
            keepBytes: state.downloaded, extract: false, prepare: false, copyBack: false, clear: [],
            resumedAfter: state.step, discarded: false)
        // What copy-back made is the prepared backup's names, plus the binlog position's file.
        let ours = Set(state.prepared + [PhysicalRestore.operatorInfoFile])
        let copyBackStarted = state.step >= .copyingBack
        if !occupants.isEmpty && !(copyBackStarted && occupants.allSatisfy(ours.contains)) {
            return .failure(.dataDirectoryNotEmpty(occupants))
        }
        switch state.step {
        case .download:
            plan.extract = true
            plan.prepare = true
            plan.copyBack = true
        case .extracted:
            plan.prepare = true
            plan.copyBack = true
        case .preparing:
            // An interrupted prepare may have left the redo log half applied: extract again (from the
            // local copy) rather than trust it.
            plan.keepBytes = object.size
            plan.extract = true
            plan.prepare = true
            plan.copyBack = true
        case .prepared:
            plan.copyBack = true
        case .copyingBack:
            plan.clear = occupants
            plan.copyBack = true
            // --move-back took files out of the prepared backup: make it again.
            if moveBack {
                plan.keepBytes = object.size
                plan.extract = true
                plan.prepare = true
            }
        case .copied:
            break
        }
        return .success(plan)
    }

    let root: String
    var full: String { root + "/full" }
    var localCopy: String { root + "/object.part" }
    var stateFile: String { root + "/state.json" }
    var lockFile: String { root + "/lock" }

    /// `.mariadb-migrate-restore-<16 hex digits of SHA-256(location, data directory)>` in `parent`.
    init(parent: String, location: String, dataDirectory: String) {
        let key = Digest.sha256(Array("\(location)\n\(dataDirectory)".utf8)).hexString.prefix(16)
        root = (parent as NSString).appendingPathComponent(".mariadb-migrate-restore-\(key)")
    }

    func load() -> State? {
        guard let data = FileManager.default.contents(atPath: stateFile) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    /// Written to a temporary file and renamed over the old state: a kill never leaves half of it.
    func save(_ state: State) throws {
        do {
            try AtomicFile.write(try JSONEncoder().encode(state), to: stateFile, temporary: stateFile + ".tmp")
        } catch let failure as AtomicFile.Failure {
            throw PhysicalRestoreError.staging(path: failure.path, reason: failure.reason)
        }
    }

    /// An exclusive lock on the staging for this process's life (close-on-exec, so the children do not
    /// hold it): a second restore of the same backup into the same directory is refused, not mixed in.
    func lock() throws -> Int32 {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let fd = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PhysicalRestoreError.staging(path: lockFile, reason: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw PhysicalRestoreError.restoreRunning(path: root)
        }
        return fd
    }

    /// The processes a killed run left behind (mbstream, mariadb-backup): those whose arguments name
    /// this staging. A SIGKILL does not reach a child, and an orphaned prepare or copy-back would go
    /// on writing while this run starts over.
    func orphans() -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let own = getpid()
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != own, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                return false
            }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self).contains(root) }
        }
    }

    /// Kills what `orphans` finds and waits (up to 10 s) until they are gone.
    func endOrphans() async {
        var left = orphans()
        for pid in left { kill(pid, SIGKILL) }
        for _ in 0..<100 where !left.isEmpty {
            try? await Task.sleep(for: .milliseconds(100))
            left = orphans()
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// The staging's state as the steps move it on, saved on each change; the download's progress comes
/// from another task, hence the lock.
final class StagingRecorder: @unchecked Sendable {
    private let staging: PhysicalStaging
    private let lock = NSLock()
    private var current: PhysicalStaging.State

    init(_ staging: PhysicalStaging, _ state: PhysicalStaging.State) {
        self.staging = staging
        current = state
    }

    var state: PhysicalStaging.State { lock.withLock { current } }

    func update(_ change: (inout PhysicalStaging.State) -> Void) throws {
        try lock.withLock {
            change(&current)
            try staging.save(current)
        }
    }
}
