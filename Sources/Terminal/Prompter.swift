import CEdit
import CShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public enum PromptError: Error, LocalizedError, Equatable, Sendable {
    /// Standard input ended (or is not a terminal and had nothing) where an answer was needed.
    case noAnswer(question: String, hint: String)

    public var errorDescription: String? {
        switch self {
        case .noAnswer(let question, let hint):
            return "no answer to '\(question)' on standard input and no terminal to ask on: \(hint)"
        }
    }
}

/// Asks questions on a terminal through libedit, or reads answers piped to standard input.
/// Without a terminal nothing is printed and a missing answer is an error, never a hang.
public final class Prompter: @unchecked Sendable {
    private let input: UnsafeMutablePointer<FILE>
    private let output: UnsafeMutablePointer<FILE>
    private let lock = NSLock()

    /// Reads answers from `inputDescriptor` (standard input by default) and asks on standard
    /// error, so standard output stays for data. Both descriptors are duplicated: the caller
    /// keeps its own. Use one prompter per process: its input is buffered.
    public init(inputDescriptor: Int32 = STDIN_FILENO, outputDescriptor: Int32 = STDERR_FILENO) {
        input = fdopen(dup(inputDescriptor), "r")!
        output = fdopen(dup(outputDescriptor), "w")!
    }

    deinit {
        fclose(input)
        fclose(output)
    }

    public var isInteractive: Bool { isatty(fileno(input)) == 1 }

    /// One line of answer. `defaultValue` is shown and taken for an empty answer on a terminal.
    public func ask(_ question: String, defaultValue: String? = nil, hint: String) throws(PromptError) -> String {
        lock.lock()
        defer { lock.unlock() }
        let prompt = defaultValue.map { "\(question) [\($0)]: " } ?? "\(question): "
        guard let line = readLine(prompt: prompt) else {
            if let defaultValue, isInteractive { return defaultValue }
            throw .noAnswer(question: question, hint: hint)
        }
        if line.isEmpty, let defaultValue { return defaultValue }
        return line
    }

    /// A secret: echo off on a terminal; a piped line otherwise. Never logged.
    public func askSecret(_ question: String, hint: String) throws(PromptError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard isInteractive else {
            guard let line = readPlainLine() else { throw .noAnswer(question: question, hint: hint) }
            return line
        }
        // Echo goes off before the question shows: an answer typed (or pasted) as soon as the
        // question appears is never echoed.
        let fd = fileno(input)
        var saved = termios()
        tcgetattr(fd, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &quiet)
        fputs("\(question): ", output)
        fflush(output)
        let line = readPlainLine()
        tcsetattr(fd, TCSAFLUSH, &saved)
        fputs("\n", output)
        guard let line else { throw .noAnswer(question: question, hint: hint) }
        return line
    }

    /// libedit on a terminal (line editing, prompt); without one libedit reads the pipe as is.
    private func readLine(prompt: String) -> String? {
        guard isInteractive else { return readPlainLine() }
        guard let editor = mm_el_init("mariadb-migrate", input, output, output) else { return readPlainLine() }
        defer { mm_el_end(editor) }
        mm_el_set_editor(editor, "emacs")
        mm_el_set_prompt_text(editor, prompt)
        var count: Int32 = 0
        guard let line = mm_el_gets(editor, &count), count > 0 else { return nil }
        return String(cString: line).trimmingCharacters(in: .newlines)
    }

    private func readPlainLine() -> String? {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        let length = getline(&buffer, &capacity, input)
        guard length >= 0, let buffer else { return nil }
        var line = String(cString: buffer)
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}
