import Foundation
import Runbook
import RunbookActions
import Terminal
import Testing

/// A ^C that lands between a step's start and its first prompt (no prompt open, so the signal handler only sets
/// the stop flag) ends the run at that prompt; before, the prompt opened and waited for an answer (seen in CI:
/// the wizard test's ^C after "Check the backup store" left the program asking "Where the backup goes").
@Suite struct SignalBeforePromptTests {
    /// Says "go on" at the step's own check, then "stop" ever after: the signal came just after that check.
    final class LateSignal: @unchecked Sendable {
        private let lock = NSLock()
        private var calls = 0
        func cancelled() -> Bool { lock.withLock { calls += 1; return calls > 1 } }
    }

    /// Reads the terminal and types each answer once its question shows, until stopped.
    final class Typist: @unchecked Sendable {
        private let master: CInt
        private let lock = NSLock()
        private var answers: [(question: String, answer: String)]
        private var stopped = false

        init(master: CInt, answers: [(String, String)]) {
            self.master = master
            self.answers = answers.map { (question: $0.0, answer: $0.1) }
        }

        func stop() { lock.withLock { stopped = true } }

        func run() {
            var screen = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ stopped }) {
                var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 100) > 0 else { continue }
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { return }
                screen += String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock {
                    guard let next = answers.first, screen.contains(next.question) else { return }
                    answers.removeFirst()
                    screen = ""
                    let line = next.answer + "\r"
                    _ = write(master, line, line.utf8.count)
                }
            }
        }
    }

    @Test func aSignalBeforeThePromptOpensStopsAtThePrompt() async throws {
        // /dev/ptmx by hand: Glibc's module does not export unlockpt and ptsname.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: CInt = 0
        var number: CUnsignedInt = 0
        try #require(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0)
        try #require(ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        try #require(slave >= 0)
        defer { close(slave) }
        // A person answers each of the survey's questions as it shows (libedit drops what is typed ahead), so a
        // run that wrongly asks ends too: its probe of port 1 fails, then the flag stops it. The password comes
        // from the environment. The answer the run remembered tells the two apart.
        let typist = Typist(
            master: master, answers: [("Source server host", "127.0.0.1"), ("Source server port", "1"),
                                      ("Source user", "root")])
        let reading = Thread { typist.run() }
        reading.start()
        defer { typist.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mm-sig-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runbook = try Runbook.named("backup-restore", path: nil, actions: Actions.specs)
        var options = RunOptions()
        options.stateDirectory = StateDirectory(path: directory.path)
        var context = ResolutionContext()
        context.environment = ["MARIADB_PASSWORD": "not-a-password"]
        let prompter = Prompter(inputDescriptor: slave, outputDescriptor: slave)
        try #require(prompter.isInteractive)
        let runner = MigrationRunner(
            runbook: runbook, state: MigrationState(id: "sig1", runbook: "backup-restore", runbookPath: nil, now: "t0"),
            context: context, prompter: prompter, options: options, output: DryRunTests.RecordingOutput())
        let signal = LateSignal()
        #expect(await runner.run(cancelled: { signal.cancelled() }) == .interrupted)

        let saved = try String(contentsOfFile: options.stateDirectory.file("sig1"), encoding: .utf8)
        #expect(!saved.contains("127.0.0.1"), "an answer was read after the signal: \(saved)")
    }
}
