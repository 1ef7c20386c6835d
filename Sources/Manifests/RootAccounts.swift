import Foundation
import Hashing

/// After a physical bootstrap the server keeps the source's accounts: the operator's probes log in
/// as root@localhost and the operator itself as root@'%', both with the MariaDB's root Secret. So
/// both must exist on the source and take that password. Pure.
public enum RootAccounts {
    public static let hosts = ["localhost", "%"]

    /// mysql_native_password's hash: `*` and the uppercase hex of SHA1(SHA1(password)).
    public static func nativeHash(_ password: String) -> String {
        "*" + Digest.sha1(Digest.sha1(Array(password.utf8))).hexString.uppercased()
    }

    /// One problem per account that is missing (nil) or whose `SHOW CREATE USER` names no
    /// mysql_native_password hash of `password`, each with its fix.
    public static func problems(createUser: [String: String?], password: String) -> [String] {
        let hash = nativeHash(password)
        return hosts.compactMap { host -> String? in
            let account = "root@'\(host)'"
            guard let statement = createUser[host] ?? nil else {
                return "\(account) does not exist on the source; fix: CREATE USER \(account) IDENTIFIED BY '…'; "
                    + "GRANT ALL PRIVILEGES ON *.* TO \(account) WITH GRANT OPTION"
            }
            let hashes = Self.nativeHashes(in: statement)
            if hashes.contains(hash) { return nil }
            let plugins = Self.plugins(in: statement)
            // ed25519, GSSAPI and PAM take a password this check cannot hash: left to the login.
            if hashes.isEmpty && ["ed25519", "gssapi", "pam"].contains(where: plugins.contains) { return nil }
            let how = hashes.isEmpty ? "it takes no password (\(plugins))" : "its password differs"
            return "\(account) does not take the root password: \(how); fix: ALTER USER \(account) IDENTIFIED VIA "
                + "mysql_native_password USING PASSWORD('…')" + (host == "localhost" ? " OR unix_socket" : "")
        }
    }

    /// The `USING '*…'` hashes of mysql_native_password in a SHOW CREATE USER statement.
    static func nativeHashes(in statement: String) -> [String] {
        let pattern = #"\*[0-9A-F]{40}"#
        var found: [String] = []
        var rest = statement[...]
        while let range = rest.range(of: pattern, options: .regularExpression) {
            found.append(String(rest[range]))
            rest = rest[range.upperBound...]
        }
        return found
    }

    static func plugins(in statement: String) -> String {
        let names = ["unix_socket", "ed25519", "gssapi", "pam", "mysql_native_password"].filter {
            statement.contains($0)
        }
        return names.isEmpty ? "no authentication" : names.joined(separator: ", ")
    }
}
