import Foundation
import Testing

@testable import Terminal

/// A pipe whose write end has `text` and is closed: what `echo text | tool` gives.
func pipedInput(_ text: String) -> Int32 {
    var fds: [Int32] = [0, 0]
    pipe(&fds)
    _ = text.withCString { write(fds[1], $0, strlen($0)) }
    close(fds[1])
    return fds[0]
}

@Suite struct PrompterTests {
    @Test func readsAPipedAnswer() throws {
        let fd = pipedInput("db.example.com\nsecond\n")
        defer { close(fd) }
        let prompter = Prompter(inputDescriptor: fd)
        #expect(!prompter.isInteractive)
        #expect(try prompter.ask("Source host", hint: "pass --host") == "db.example.com")
        #expect(try prompter.askSecret("Password", hint: "pass --password-file") == "second")
    }

    @Test func refusesAMissingAnswerWithoutATerminal() throws {
        let fd = pipedInput("")
        defer { close(fd) }
        let prompter = Prompter(inputDescriptor: fd)
        #expect(throws: PromptError.noAnswer(question: "Source host", hint: "pass --host")) {
            try prompter.ask("Source host", defaultValue: "localhost", hint: "pass --host")
        }
        let message = PromptError.noAnswer(question: "Source host", hint: "pass --host").localizedDescription
        #expect(message.contains("Source host") && message.contains("--host"))
    }

    @Test func anEmptyPipedLineTakesTheDefault() throws {
        let fd = pipedInput("\n")
        defer { close(fd) }
        #expect(try Prompter(inputDescriptor: fd).ask("Port", defaultValue: "3306", hint: "pass --port") == "3306")
    }

    @Test func tablesAlignColumns() {
        let table = TextTable.render(headers: ["name", "n"], rows: [["a", "1"], ["long", "100"]], rightAligned: [1])
        #expect(table == "name    n\n----  ---\na       1\nlong  100\n")
        #expect(ByteFormat.string(1536) == "1.5 KiB")
        #expect(ByteFormat.string(12) == "12 B")
    }
}

/// Issue #27: an error after a progress line was written on the same line.
@Suite struct ProgressLineTests {
    @Test func aMessageAfterAnOpenProgressLineStartsOnALineOfItsOwn() {
        let state = ProgressLineState()
        #expect(!state.endForMessage())
        state.drew(final: false)
        #expect(state.endForMessage())
        #expect(!state.endForMessage(), "ended once")
        state.drew(final: false)
        state.drew(final: true)
        #expect(!state.endForMessage(), "a final draw ends its own line")
    }
}

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("8MiB", UInt64(8 << 20)), ("64M", 64 << 20), ("512KiB", 512 << 10), ("1G", 1 << 30), ("1048576", 1 << 20),
        ("2 mb", 2 << 20),
    ] as [(String, UInt64)])
    func sizesParse(text: String, bytes: UInt64) { #expect(ByteFormat.parse(text) == bytes) }

    @Test(arguments: ["", "MiB", "8XB", "-1M", "1.5M", "99999999999999999999G"])
    func otherTextIsNoSize(text: String) { #expect(ByteFormat.parse(text) == nil) }
}
