import BackupEngine
import Blocking
import Dispatch
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime
import Verification

@testable import RestoreEngine

/// The restore's contract (issue #27): whatever its settings, `restore` leaves a target in the state
/// `mariadb < file` of the same backup leaves (the operator's own restore), on every schema, mysql
/// included. Each backup of the corpus is restored into fresh servers by `restore` (default settings;
/// `--parallel 1`, which pipes into the client; three connections without deferred indexes) and by the
/// `mariadb` client reading the file, and the servers' `ServerImage`s compared whole.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"), .serialized)
struct RestoreEquivalenceTests {
    /// How a restore was made, for the messages.
    enum Way: String, CaseIterable, Sendable {
        case defaults = "restore (defaults)"
        case client = "restore --parallel 1"
        case threeWithoutDeferredIndexes = "restore --parallel 3 --no-defer-indexes"
        case mariadbReadingTheFile = "mariadb < file"
    }

    @Test(.timeLimit(.minutes(30)))
    func aFreshServersWholeBackupRestoresAsTheClientWould() async throws {
        let source = try await FreshServer()
        defer { source.stop() }
        try await expectEquivalentRestores(of: source, ways: [.defaults, .client, .mariadbReadingTheFile])
    }

    /// A used server: MySQL's world database and Zabbix's schema and data (real databases nobody here
    /// wrote, from Debian's packages), the feature zoo, and accounts of every kind.
    @Test(.timeLimit(.minutes(30)))
    func aUsedServersWholeBackupRestoresAsTheClientWould() async throws {
        let env = try TestEnvironment.require()
        let corpus = try env["MM_TEST_CORPUS_DIR"]
        let source = try await FreshServer()
        defer { source.stop() }
        let root = try await MariaDBConnection.connect(source.settings)
        try await root.execute([
            "INSTALL SONAME 'auth_ed25519'", "CREATE DATABASE world",
            "CREATE DATABASE zabbix CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        ])
        try await load(["\(corpus)/world.sql"], into: source, database: "world")
        let zabbix = "\(corpus)/zabbix/usr/share/zabbix-server-mysql"
        try await load(
            ["\(zabbix)/schema.sql.gz", "\(zabbix)/images.sql.gz", "\(zabbix)/data.sql.gz"], into: source,
            database: "zabbix", oneTransaction: true)
        try await load(
            [TestEnvironment.repositoryRoot.appendingPathComponent("fixtures/corpus/feature-zoo.sql").path],
            into: source)
        #expect(try await root.query("SELECT COUNT(*) FROM zabbix.items").scalar.int ?? 0 > 1000)
        #expect(try await root.query("SELECT COUNT(*) FROM world.City").scalar.int == 4079)
        try await expectEquivalentRestores(of: source, ways: Way.allCases)
    }

    /// Backs the whole server up (all databases, the tool's defaults), restores it each way into a
    /// fresh server, and expects every image equal to the one `mariadb < file` left, and the
    /// source's accounts in force on each.
    func expectEquivalentRestores(of source: FreshServer, ways: [Way]) async throws {
        let store = try temporaryStore()
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: source.settings, dump: DumpOptions(), compression: .gzip,
                now: UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))),
            store: store)
        let sourceAccounts = try await ServerImage.accountGrants(
            on: try await MariaDBConnection.connect(source.settings))
        var images: [Way: ServerImage] = [:]
        for way in ways {
            let target = try await FreshServer()
            defer { target.stop() }
            try await restore(store.location + manifest.name, manifest.name, store: store, into: target, way)
            let connection = try await MariaDBConnection.connect(target.settings)
            images[way] = try await ServerImage.take(from: connection)
            // The source's accounts, in force (the dump's FLUSH PRIVILEGES), grants on routines included (the
            // dump leaves mysql.proc's rows out: loaded, a routine's DROP PROCEDURE IF EXISTS revoked them).
            func image(_ grants: [String: [String]]) -> ServerImage {
                ServerImage(entries: grants.mapValues { $0.joined(separator: "; ") })
            }
            #expect(
                ServerImage.differences(
                    image(try await ServerImage.accountGrants(on: connection)), image(sourceAccounts),
                    names: (way.rawValue, "the source")) == [])
        }
        let reference = try #require(images[.mariadbReadingTheFile])
        #expect(reference.entries.count > 100)
        for (way, image) in images where way != .mariadbReadingTheFile {
            #expect(
                ServerImage.differences(image, reference, names: (way.rawValue, "mariadb < file")) == [],
                "\(manifest.name) restored by \(way.rawValue)")
        }
    }

    func restore(_ path: String, _ name: String, store: DirectoryStore, into target: FreshServer, _ way: Way)
        async throws
    {
        switch way {
        case .mariadbReadingTheFile:
            try await load([path], into: target)
        case .defaults, .client, .threeWithoutDeferredIndexes:
            let parallel: Int? = way == .client ? 1 : way == .defaults ? nil : 3
            _ = try await RestorePipeline.run(
                RestoreRequest(
                    connection: target.settings, target: .file(name), parallel: parallel,
                    deferIndexes: way != .threeWithoutDeferredIndexes),
                store: store)
        }
    }

    /// `zcat files | mariadb [database]`, the way a person (and the operator's restore) loads SQL;
    /// `oneTransaction` wraps it in one (Zabbix's data is 35 MB of single-row INSERTs).
    func load(_ files: [String], into server: FreshServer, database: String? = nil, oneTransaction: Bool = false)
        async throws
    {
        let credentials = try CredentialsFile(settings: server.settings)
        defer { credentials.remove() }
        let script = files.map { "zcat -f '\($0)'" }.joined(separator: "; ")
        let wrapped = oneTransaction ? "{ echo 'SET autocommit=0;'; \(script); echo 'COMMIT;'; }" : "{ \(script); }"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "\(wrapped) | mariadb --defaults-extra-file='\(credentials.path)' --batch \(database ?? "") >/dev/null",
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Off the cooperative pool: loading Zabbix takes a while.
        let message = try await runBlocking(on: DispatchQueue(label: "load")) {
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: message, as: UTF8.self)
        }
        #expect(process.terminationStatus == 0, "\(files): \(message)")
    }
}
