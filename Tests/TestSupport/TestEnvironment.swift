import Foundation
import MariaDBClient

/// The servers that `scripts/test-env up` started, read from the env file it wrote.
/// Tests that need a server are enabled when the file exists or when CI=true: under CI a
/// missing server is a failure (`require()` throws), never a skip.
public struct TestEnvironment: Sendable {
    public let values: [String: String]

    public static let shared: TestEnvironment? = load()

    /// CI runners spell it `true`, `1`, `True` or `yes`: each means on (a missing server fails, never skips).
    public static var isCI: Bool { ciEnabled(ProcessInfo.processInfo.environment["CI"]) }

    public static func ciEnabled(_ value: String?) -> Bool {
        guard let value = value?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return ["true", "1", "yes", "on"].contains(value)
    }

    /// For `.enabled(if: TestEnvironment.serversExpected)`.
    public static var serversExpected: Bool { shared != nil || isCI }

    public static func require() throws -> TestEnvironment {
        guard let shared else {
            throw TestEnvironmentMissing(path: envFilePath)
        }
        return shared
    }

    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var envFilePath: String {
        ProcessInfo.processInfo.environment["MM_TEST_ENV_FILE"]
            ?? repositoryRoot.appendingPathComponent(".test-env/env").path
    }

    static func load() -> TestEnvironment? {
        guard let text = try? String(contentsOfFile: envFilePath, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return TestEnvironment(values: values)
    }

    public subscript(_ key: String) -> String {
        get throws {
            guard let value = values[key] else { throw TestEnvironmentMissing(path: Self.envFilePath, key: key) }
            return value
        }
    }

    public var rootPassword: String { values["MM_TEST_MARIADB_PASSWORD"] ?? "" }

    /// The source server over TCP as root.
    public func sourceTCP(database: String? = nil) throws -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: try self["MM_TEST_MARIADB_HOST"], port: Int(try self["MM_TEST_MARIADB_PORT"])!),
            user: "root", password: rootPassword, database: database)
    }

    public func sourceSocket() throws -> ConnectionSettings {
        ConnectionSettings(
            transport: .socket(path: try self["MM_TEST_MARIADB_SOCKET"]), user: "root", password: rootPassword)
    }

    public func targetTCP(database: String? = nil) throws -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: Int(try self["MM_TEST_TARGET_PORT"])!),
            user: "root", password: rootPassword, database: database)
    }

    /// The second source with binlog, kept for the live-cutover tests.
    public func liveTCP(database: String? = nil) throws -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: Int(try self["MM_TEST_LIVE_PORT"])!),
            user: "root", password: rootPassword, database: database)
    }

    /// The three nodes of the Galera cluster of scripts/test-env, node 1 first.
    public func galeraNodes() throws -> [ConnectionSettings] {
        try ["MM_TEST_GALERA_PORT", "MM_TEST_GALERA2_PORT", "MM_TEST_GALERA3_PORT"].map { key in
            ConnectionSettings(
                transport: .tcp(host: "127.0.0.1", port: Int(try self[key])!), user: "root", password: rootPassword)
        }
    }

    /// Node 1 of the Galera cluster of scripts/test-env.
    public func galeraTCP(database: String? = nil) throws -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: Int(try self["MM_TEST_GALERA_PORT"])!),
            user: "root", password: rootPassword, database: database)
    }

    /// A database name no other test uses.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }
}

public struct TestEnvironmentMissing: Error, CustomStringConvertible {
    public let path: String
    public var key: String?
    public var description: String {
        if let key {
            return "the test environment file \(path) has no \(key): run scripts/test-env down && scripts/test-env up"
        }
        return "no test environment at \(path): run scripts/test-env up (CI=true makes this a failure, not a skip)"
    }
}
