import ArgumentParser
import Foundation
import Terminal

/// Table on a terminal, JSON for scripts.
public struct OutputOptions: ParsableArguments {
    @Flag(help: "Write JSON to standard output instead of a table.")
    var json = false

    public init() {}

    func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        Console.write(data + Data("\n".utf8), to: .standardOutput)
    }
}
