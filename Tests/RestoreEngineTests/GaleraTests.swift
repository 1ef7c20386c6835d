import BackupEngine
import Compression
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime

@testable import RestoreEngine

/// The Galera rules against the one-node Galera cluster of scripts/test-env.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct GaleraTests {
    @Test func aBackupOfGaleraAppliesTheRulesAndRestoresIntoGalera() async throws {
        let env = try TestEnvironment.require()
        let galera = try await MariaDBConnection.connect(try env.galeraTCP())
        #expect(try await galera.serverFacts().galera.enabled)
        let name = TestEnvironment.uniqueName("gal")
        try await seed(galera, name, rows: 3000)
        defer { Task { try? await galera.query("DROP DATABASE `\(name)`") } }
        let store = try temporaryStore()
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.galeraTCP(), dump: DumpOptions(databases: [name]), compression: .gzip,
                now: UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))), store: store)
        // Automatic for a Galera source: no LOCK TABLES, and every privilege table left out.
        #expect(manifest.galera)
        #expect(manifest.dumpArguments.contains("--skip-add-locks"))
        for table in DumpOptions.privilegeTables {
            #expect(manifest.dumpArguments.contains("--ignore-table=mysql.\(table)"))
        }
        let sql = try GzipDecompressor().update(try await store.getAll(name: manifest.name))
        #expect(!String(decoding: sql, as: UTF8.self).contains("LOCK TABLES"))

        // Restored into the same cluster under the same name after a drop: one connection. Its MyISAM table
        // (the node's wsrep_mode does not replicate MyISAM) stops it, unless forced.
        try await galera.query("DROP DATABASE `\(name)`")
        await #expect(throws: RestoreError.galeraNonInnoDB(table: "\(name).log", engine: "MyISAM")) {
            try await RestorePipeline.run(
                RestoreRequest(connection: try env.galeraTCP(), target: .file(manifest.name)), store: store)
        }
        var forced = RestoreRequest(connection: try env.galeraTCP(), target: .file(manifest.name))
        forced.force = true
        forced.progressMode = .resume
        let report = try await RestorePipeline.run(forced, store: store)
        #expect(report.method == .parallel && report.connections == 1)
        #expect(try await galera.query("SELECT COUNT(*) FROM `\(name)`.t").scalar.int64 == 3000)
    }

    @Test func aDumpWithThePrivilegeTablesIsRefusedBeforeAnythingRuns() async throws {
        let env = try TestEnvironment.require()
        let galera = try await MariaDBConnection.connect(try env.galeraTCP())
        let store = try temporaryStore()
        // A standalone server's dump of the mysql schema with the operator's flags: only global_priv left out.
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(),
                dump: DumpOptions(databases: ["mysql"], galera: true, operatorFlags: true),
                compression: .gzip, now: UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))), store: store)
        // Accounts of the runbook test that migrates into the same cluster meanwhile (g<n>_…) are not counted.
        let count = "SELECT COUNT(*) FROM mysql.global_priv WHERE User NOT REGEXP '^g[0-9]+_'"
        let before = try await galera.query(count).scalar.int64
        await #expect(throws: RestoreError.galeraUnsafeDump(location: store.location + manifest.name)) {
            try await RestorePipeline.run(
                RestoreRequest(connection: try env.galeraTCP(), target: .file(manifest.name)), store: store)
        }
        #expect(try await galera.query(count).scalar.int64 == before)

        // Without its manifest the statements themselves are checked: the first privilege table stops it.
        try await store.delete(name: manifest.manifestName)
        await #expect(throws: RestoreError.galeraUnsafe(table: "mysql.columns_priv")) {
            try await RestorePipeline.run(
                RestoreRequest(connection: try env.galeraTCP(), target: .file(manifest.name)), store: store)
        }
        #expect(try await galera.query(count).scalar.int64 == before)
    }
}

extension BackupManifest {
    var manifestName: String { name + ".manifest.json" }
}
