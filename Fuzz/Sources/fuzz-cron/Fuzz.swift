import BackupEngine
import FuzzDriver
import UTCTime

/// A cron expression either fails with a typed error or gives next times that move forward.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let schedule = try? CronSchedule(text) else { return 0 }
    let start = UTCDateTime.parseRFC3339("2024-02-28T23:59:59Z")!
    if let next = schedule.next(after: start) {
        guard next > start else { fatalError("'\(text)': next \(next) is not after \(start)") }
    }
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
