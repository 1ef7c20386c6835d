import Foundation
import ObjectStore
import Testing

@testable import RestoreEngine

/// What a physical restore does after a killed run, from the state it left: table-driven.
@Suite struct PhysicalStagingTests {
    typealias Step = PhysicalStaging.Step
    static let object = PhysicalStaging.Object(location: "s3://b/p/physicalbackup-1.xb.gz", size: 1000, version: "e1")
    static let prepared = ["ibdata1", "mysql", "shop", "xtrabackup_checkpoints"]

    static func state(_ step: Step, downloaded: UInt64 = 0, moveBack: Bool = false) -> PhysicalStaging.State {
        PhysicalStaging.State(
            object: object, moveBack: moveBack, step: step, downloaded: downloaded,
            prepared: step >= .prepared ? prepared : [])
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var state: PhysicalStaging.State?
        var object: PhysicalStaging.Object = PhysicalStagingTests.object
        var occupants: [String] = []
        var moveBack = false
        /// keep, runs (extract/prepare/copy-back), cleared, resumed after, discarded; nil: refused.
        var expected: (keep: UInt64, runs: [String], clear: [String], after: Step?, discarded: Bool)?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "nothing before", state: nil, expected: (0, ["extract", "prepare", "copy-back"], [], nil, false)),
        Row(name: "nothing before, files in the way", state: nil, occupants: ["mysql"], expected: nil),
        Row(
            name: "killed in the download", state: state(.download, downloaded: 400),
            expected: (400, ["extract", "prepare", "copy-back"], [], .download, false)),
        Row(
            name: "another object", state: state(.prepared),
            object: .init(location: object.location, size: 1000, version: "e2"),
            expected: (0, ["extract", "prepare", "copy-back"], [], nil, true)),
        Row(
            name: "other --move-back", state: state(.download, downloaded: 400), moveBack: true,
            expected: (0, ["extract", "prepare", "copy-back"].map { $0 == "copy-back" ? "move-back" : $0 }, [], nil,
                true)),
        Row(
            name: "extracted", state: state(.extracted, downloaded: 1000),
            expected: (1000, ["prepare", "copy-back"], [], .extracted, false)),
        Row(
            name: "killed in prepare: extract again from the local copy", state: state(.preparing, downloaded: 1000),
            expected: (1000, ["extract", "prepare", "copy-back"], [], .preparing, false)),
        Row(
            name: "prepared", state: state(.prepared, downloaded: 1000),
            expected: (1000, ["copy-back"], [], .prepared, false)),
        Row(
            name: "prepared, then files appeared", state: state(.prepared, downloaded: 1000), occupants: ["mysql"],
            expected: nil),
        Row(
            name: "killed in copy-back: what it copied is emptied first", state: state(.copyingBack, downloaded: 1000),
            occupants: ["ibdata1", "mysql"],
            expected: (1000, ["copy-back"], ["ibdata1", "mysql"], .copyingBack, false)),
        Row(
            name: "killed in copy-back, a file not of the backup", state: state(.copyingBack, downloaded: 1000),
            occupants: ["ibdata1", "notes.txt"], expected: nil),
        Row(
            name: "killed in move-back: prepared again", state: state(.copyingBack, downloaded: 1000, moveBack: true),
            occupants: ["mysql"], moveBack: true,
            expected: (1000, ["extract", "prepare", "move-back"], ["mysql"], .copyingBack, false)),
        Row(
            name: "copied, killed before the end",
            state: state(.copied, downloaded: 1000), occupants: prepared + ["mariadb-operator.info"],
            expected: (1000, [], [], .copied, false)),
    ]

    @Test(arguments: rows)
    func theNextRunGoesOnFromTheStepItStoppedIn(_ row: Row) throws {
        let result = PhysicalStaging.plan(
            state: row.state, object: row.object, occupants: row.occupants, moveBack: row.moveBack)
        guard let expected = row.expected else {
            #expect(throws: PhysicalStaging.Refusal.self) { try result.get() }
            return
        }
        let plan = try result.get()
        #expect(plan.extract ? plan.keepBytes == expected.keep : true)
        #expect(plan.names(moveBack: row.moveBack) == expected.runs)
        #expect(plan.clear == expected.clear)
        #expect(plan.resumedAfter == expected.after)
        #expect(plan.discarded == expected.discarded)
    }

    @Test func theStagingIsOnePerBackupAndDataDirectory() {
        let a = PhysicalStaging(parent: "/srv", location: "s3://b/x.xb", dataDirectory: "/srv/data")
        #expect(a.root == PhysicalStaging(parent: "/srv", location: "s3://b/x.xb", dataDirectory: "/srv/data").root)
        #expect(a.root != PhysicalStaging(parent: "/srv", location: "s3://b/y.xb", dataDirectory: "/srv/data").root)
        #expect(a.root != PhysicalStaging(parent: "/srv", location: "s3://b/x.xb", dataDirectory: "/srv/d2").root)
        let prefix = "/srv/.mariadb-migrate-restore-"
        #expect(a.root.hasPrefix(prefix) && a.root.count == prefix.count + 16)
    }

    /// The local copy: the kept bytes come from the file, the rest from the store from that offset, and
    /// the file ends as the object.
    @Test func aKeptDownloadFetchesOnlyTheRest() async throws {
        let store = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: store.location) }
        let data = (0..<(3 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.put(name: "physicalbackup-20240826122434.xb", bytes: data)
        let path = store.location + "/local.part"
        // A copy with a tail beyond what was synced: the tail is cut, not trusted.
        FileManager.default.createFile(atPath: path, contents: Data(data.prefix(1_500_000) + [1, 2, 3]))
        let synced = SyncedBytes()
        let reader = try KeptDownload(
            path: path, keep: 1_000_000, size: UInt64(data.count), syncBytes: 1 << 20,
            remote: { offset in try await store.makeReader(name: "physicalbackup-20240826122434.xb", from: offset) },
            synced: { synced.set($0) })
        var read: [UInt8] = []
        while let chunk = try await reader.read() { read += chunk }
        #expect(read == data)
        #expect(reader.kept == 1_000_000)
        #expect(reader.fetched == UInt64(data.count) - 1_000_000)
        #expect(synced.value == UInt64(data.count))
        #expect(FileManager.default.contents(atPath: path) == Data(data))
    }
}

final class SyncedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: UInt64 = 0
    var value: UInt64 { lock.withLock { bytes } }
    func set(_ value: UInt64) { lock.withLock { bytes = value } }
}
