import Testing
import UTCTime

@testable import BackupEngine

@Suite struct CronTests {
    @Test(arguments: [
        ("0 3 * * *", "2024-08-26T12:24:34Z", "2024-08-27T03:00:00Z"),
        ("0 3 * * *", "2024-08-26T02:59:59Z", "2024-08-26T03:00:00Z"),
        ("0 3 * * *", "2024-08-26T03:00:00Z", "2024-08-27T03:00:00Z"),
        ("*/15 * * * *", "2024-08-26T12:24:34Z", "2024-08-26T12:30:00Z"),
        ("*/1 * * * *", "2024-08-26T12:24:34Z", "2024-08-26T12:25:00Z"),
        ("@hourly", "2024-08-26T12:24:34Z", "2024-08-26T13:00:00Z"),
        ("@daily", "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z"),
        ("@weekly", "2024-08-26T12:00:00Z", "2024-09-01T00:00:00Z"),  // 2024-08-26 is a Monday
        ("@monthly", "2024-01-31T10:00:00Z", "2024-02-01T00:00:00Z"),
        ("@yearly", "2024-03-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("30 2 * * MON-FRI", "2024-08-24T00:00:00Z", "2024-08-26T02:30:00Z"),  // Saturday → Monday
        ("0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 12 1 * 0", "2024-08-26T00:00:00Z", "2024-09-01T12:00:00Z"),  // day 1 OR Sunday
        ("0 0 * * 7", "2024-08-26T00:00:00Z", "2024-09-01T00:00:00Z"),  // 7 is Sunday
        ("5,35 1-3/2 * jan,jul *", "2024-06-30T00:00:00Z", "2024-07-01T01:05:00Z"),
    ])
    func nextFireTime(expression: String, after: String, expected: String) throws {
        let schedule = try CronSchedule(expression)
        #expect(schedule.next(after: UTCDateTime.parseRFC3339(after)!)?.rfc3339 == expected)
    }

    @Test(arguments: [
        "0 3 * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *",
        "@often", "a b c d e",
    ])
    func refusesInvalidSchedules(expression: String) {
        #expect(throws: CronError.self) { try CronSchedule(expression) }
    }

    @Test func errorNamesTheField() {
        let error = #expect(throws: CronError.self) { try CronSchedule("0 25 * * *") }
        #expect(error?.description.contains("hour '25'") == true)
    }
}
