import Testing

@testable import MariaDBClient

@Suite struct OptionFileTests {
    @Test func readsClientGroupsAndLaterGroupsWin() throws {
        let text = """
            # comment
            [mysqld]
            port = 1111
            [client]
            user = app
            password = "p#ss word"
            port=3307
            [mariadb-client]
            port = 3308   # a comment
            ssl_ca = /etc/ca.pem
            ssl
            """
        let file = try OptionFile.parse(text)
        #expect(file["user"] == "app")
        #expect(file["password"] == "p#ss word")
        #expect(file["port"] == "3308")
        #expect(file["ssl-ca"] == "/etc/ca.pem")
        #expect(file["ssl"] == "")
    }

    @Test(arguments: [
        ("user=x\n", OptionFileError.optionOutsideGroup(file: "option file", number: 1, text: "user=x")),
        ("[client\nuser=x", OptionFileError.malformedLine(file: "option file", number: 1, text: "[client")),
        ("[client]\n!include\n", OptionFileError.malformedLine(file: "option file", number: 2, text: "!include")),
        (
            "[client]\n!includes /x\n",
            OptionFileError.malformedLine(file: "option file", number: 2, text: "!includes /x")
        ),
        (
            "[client]\n!include /x.cnf",
            OptionFileError.includeNotFollowed(file: "option file", number: 2, text: "!include /x.cnf")
        ),
    ])
    func refusesMalformedText(text: String, expected: OptionFileError) {
        #expect(throws: expected) { try OptionFile.parse(text) }
    }

    /// Includes are read in place, as the client reads them: a later line overrides an included one and the
    /// other way round; a directory's .cnf files in name order; a missing file or a loop is refused by name.
    @Test func followsIncludesInPlace() throws {
        let files = [
            "/etc/my.cnf": "[client]\nuser=early\nport=1\n!include /etc/extra.cnf\n!includedir /etc/conf.d\nport=4\n",
            "/etc/extra.cnf": "[client]\nuser=included\nport=2\n",
            "/etc/conf.d/a.cnf": "[client]\npassword=a\nport=3\n",
            "/etc/conf.d/b.cnf": "[mysqld]\nport=9\n[client]\npassword=\"b b\"\n",
            "/etc/loop.cnf": "[client]\n!include /etc/loop.cnf\n",
        ]
        let includes = OptionFile.Includes(
            read: { path in
                guard let text = files[path] else { throw CocoaLikeError(path: path) }
                return text
            },
            list: { directory in files.keys.filter { $0.hasPrefix(directory + "/") }.sorted() })
        let file = try OptionFile.parse(files["/etc/my.cnf"]!, file: "/etc/my.cnf", includes: includes)
        #expect(file["user"] == "included" && file["password"] == "b b" && file["port"] == "4")
        #expect(throws: OptionFileError.self) {
            try OptionFile.parse("[client]\n!include /etc/missing.cnf\n", file: "/etc/my.cnf", includes: includes)
        }
        #expect(
            throws: OptionFileError.includeTooDeep(file: "/etc/loop.cnf", number: 2, text: "!include /etc/loop.cnf")
        ) {
            try OptionFile.parse(files["/etc/loop.cnf"]!, file: "/etc/loop.cnf", includes: includes)
        }
    }

    struct CocoaLikeError: Error { var path: String }
}

@Suite struct ConnectionResolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var inputs = ConnectionInputs()
        var environment: [String: String] = [:]
        var file = ""
        var transport: ConnectionSettings.Transport
        var user = "u"
        var password: String? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "flags win over environment and file",
            inputs: ConnectionInputs(host: "db1", port: 3310, user: "flag"),
            environment: [
                "MARIADB_HOST": "envhost", "MARIADB_PORT": "3311", "MARIADB_USER": "env", "MARIADB_PASSWORD": "envpw",
            ],
            file: "[client]\nhost=filehost\nuser=file\npassword=filepw",
            transport: .tcp(host: "db1", port: 3310), user: "flag", password: "envpw"),
        Case(
            name: "environment wins over file",
            environment: ["MARIADB_HOST": "envhost", "MARIADB_USER": "env"],
            file: "[client]\nhost=filehost\nport=3312\nuser=file\npassword=filepw",
            transport: .tcp(host: "envhost", port: 3312), user: "env", password: "filepw"),
        Case(
            name: "localhost without port is the default socket",
            environment: ["MARIADB_USER": "u"],
            transport: .socket(path: ConnectionSettings.defaultSocketPath)),
        Case(
            name: "localhost with a port is TCP on 127.0.0.1",
            inputs: ConnectionInputs(host: "localhost", port: 3306, user: "u"),
            transport: .tcp(host: "127.0.0.1", port: 3306)),
        Case(
            name: "an explicit socket",
            inputs: ConnectionInputs(socket: "/tmp/s.sock", user: "u"),
            transport: .socket(path: "/tmp/s.sock")),
        Case(
            name: "a remote host defaults to 3306",
            inputs: ConnectionInputs(host: "db.example", user: "u"),
            transport: .tcp(host: "db.example", port: 3306)),
        Case(
            name: "password from --password-file beats the environment",
            inputs: ConnectionInputs(host: "h", user: "u", password: "filepw"),
            environment: ["MARIADB_PASSWORD": "envpw"],
            transport: .tcp(host: "h", port: 3306), password: "filepw"),
    ]

    @Test(arguments: cases)
    func layersFlagEnvironmentFile(c: Case) throws {
        let settings = try ConnectionSettings.resolve(
            inputs: c.inputs, environment: c.environment,
            optionFile: try OptionFile.parse(c.file))
        #expect(settings.transport == c.transport)
        #expect(settings.user == c.user)
        #expect(settings.password == c.password)
    }

    @Test func tlsIsOffUntilAskedAndVerifiesWhenOn() throws {
        let plain = try ConnectionSettings.resolve(inputs: ConnectionInputs(user: "u"), environment: [:])
        #expect(plain.tls.enabled == false)
        let withCA = try ConnectionSettings.resolve(
            inputs: ConnectionInputs(user: "u", sslCA: "/ca.pem"), environment: [:])
        #expect(withCA.tls.enabled && withCA.tls.verifyServerCertificate && withCA.tls.caFile == "/ca.pem")
        let optOut = try ConnectionSettings.resolve(
            inputs: ConnectionInputs(user: "u"), environment: [:],
            optionFile: try OptionFile.parse("[client]\nssl\nssl-verify-server-cert=0"))
        #expect(optOut.tls.enabled && !optOut.tls.verifyServerCertificate)
    }

    @Test func errorsNameTheValue() {
        #expect(throws: ConnectionResolutionError.missingUser) {
            try ConnectionSettings.resolve(inputs: ConnectionInputs(), environment: [:])
        }
        #expect(throws: ConnectionResolutionError.invalidPort(value: "33o6", source: "MARIADB_PORT")) {
            try ConnectionSettings.resolve(inputs: ConnectionInputs(user: "u"), environment: ["MARIADB_PORT": "33o6"])
        }
        let message = ConnectionResolutionError.invalidPort(value: "33o6", source: "MARIADB_PORT").localizedDescription
        #expect(message.contains("'33o6'") && message.contains("MARIADB_PORT"))
    }

    @Test(arguments: [
        ("10.11.19-MariaDB-0+deb12u1", ServerFacts.Flavour.mariadb, 10, 11),
        ("8.0.36", ServerFacts.Flavour.mysql, 8, 0),
        ("11.4.2-MariaDB-log", ServerFacts.Flavour.mariadb, 11, 4),
    ])
    func parsesVersions(version: String, flavour: ServerFacts.Flavour, major: Int, minor: Int) {
        let parsed = ServerFacts.parseVersion(version)
        #expect(parsed.flavour == flavour && parsed.major == major && parsed.minor == minor)
    }
}

@Suite struct SQLLikeTests {
    @Test(arguments: [
        ("app", "app", true), ("app_ro", "app%", true), ("xapp", "app%", false), ("app1", "app_", true),
        ("app12", "app_", false), ("a_b", "a\\_b", true), ("axb", "a\\_b", false), ("50%", "50\\%", true),
        ("App", "app", false), ("a.b", "a.b", true), ("axb", "a.b", false),
    ])
    func matchesAsSQLLikeDoes(text: String, pattern: String, matches: Bool) {
        #expect(SQLLike.matches(text, pattern: pattern) == matches)
    }

    @Test func noPatternsMatchEverything() {
        #expect(SQLLike.matchesAny("anything", patterns: []))
        #expect(!SQLLike.matchesAny("anything", patterns: ["app%"]))
    }
}
