import ArgumentParser
import Foundation
import MariaDBClient

/// The second server of a command that compares two (`verify`): the same layering as
/// `ConnectionOptions` (flag › MARIADB_TARGET_* env › option file), with `--target-` names.
public struct TargetConnectionOptions: ParsableArguments {
    @Option(help: "Target host. Env: MARIADB_TARGET_HOST.")
    var targetHost: String?

    @Option(help: "Target TCP port. Env: MARIADB_TARGET_PORT.")
    var targetPort: Int?

    @Option(help: "Target Unix socket. Env: MARIADB_TARGET_SOCKET.")
    var targetSocket: String?

    @Option(help: "Target user. Env: MARIADB_TARGET_USER.")
    var targetUser: String?

    @Option(
        help: ArgumentHelp("Read the target password from this file. Env: MARIADB_TARGET_PASSWORD.", valueName: "path"))
    var targetPasswordFile: String?

    @Option(help: ArgumentHelp("Read the target's [client] settings from this option file.", valueName: "path"))
    var targetDefaultsFile: String?

    @Flag(inversion: .prefixedNo, help: "Use TLS to the target (on when --target-ssl-ca is given).")
    var targetSsl: Bool?

    @Option(help: ArgumentHelp("CA bundle that signs the target's certificate.", valueName: "path"))
    var targetSslCa: String?

    @Flag(help: "Do not verify the target's certificate.")
    var targetSkipSslVerifyServerCert = false

    public init() {}

    var request: ConnectionRequest {
        var request = ConnectionRequest(environmentPrefix: "MARIADB_TARGET_")
        request.host = targetHost
        request.port = targetPort
        request.socket = targetSocket
        request.user = targetUser
        request.passwordFile = targetPasswordFile
        request.defaultsFile = targetDefaultsFile
        request.ssl = targetSsl
        request.sslCA = targetSslCa
        request.skipVerifyServerCertificate = targetSkipSslVerifyServerCert
        return request
    }

    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConnectionSettings {
        try request.resolve(environment: environment)
    }
}
