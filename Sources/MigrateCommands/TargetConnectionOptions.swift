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

    @Option(help: ArgumentHelp("Read the target password from this file. Env: MARIADB_TARGET_PASSWORD.", valueName: "path"))
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

    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConnectionSettings {
        let optionFile = try targetDefaultsFile.map { try InputFiles.optionFile($0, option: "--target-defaults-file") } ?? OptionFile()
        let password = try targetPasswordFile.map { try InputFiles.firstLine($0, option: "--target-password-file") }
        // MARIADB_TARGET_X plays the part MARIADB_X plays for the source.
        var mapped: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix("MARIADB_TARGET_") {
            mapped["MARIADB_" + key.dropFirst("MARIADB_TARGET_".count)] = value
        }
        let inputs = ConnectionInputs(
            host: targetHost, port: targetPort, socket: targetSocket, user: targetUser, password: password,
            ssl: targetSsl, sslCA: targetSslCa, verifyServerCertificate: targetSkipSslVerifyServerCert ? false : nil)
        return try ConnectionSettings.resolve(inputs: inputs, environment: mapped, optionFile: optionFile)
    }
}
