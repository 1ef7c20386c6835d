import FuzzDriver
import Runbook

let runbook = try! Runbook.load(
    yaml: EmbeddedRunbooks.yaml["external-to-operator"]!, file: "external-to-operator", actions: nil)

/// An answers file against a shipped runbook: answers or an error with file and line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Answers.parse(text, file: "answers.yaml", runbook: runbook)
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
