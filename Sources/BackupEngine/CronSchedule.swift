import Foundation
import UTCTime

/// A cron schedule as Kubernetes CronJobs (and so the operator's `schedule.cron`) accept it: five
/// fields (minute hour day-of-month month day-of-week) with `*`, lists, ranges, steps and names,
/// or @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly. Times are UTC. Pure.
public struct CronSchedule: Sendable, Equatable {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public init(_ expression: String) throws(CronError) {
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let text = macros[trimmed.lowercased()] ?? trimmed
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw .fieldCount(expression: expression, count: fields.count) }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: monthNames, nameOffset: 1)
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], name: "day of week", range: 0...7, names: dayNames).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        self.expression = expression
    }

    static func field(
        _ text: String, name: String, range: ClosedRange<Int>, names: [String], nameOffset: Int = 0
    ) throws(CronError) -> Set<Int> {
        func value(_ token: Substring) throws(CronError) -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let index = names.firstIndex(of: token.lowercased()) { return index + nameOffset }
            throw .badValue(field: name, value: String(token), range: range)
        }
        var result: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else {
                throw .badValue(field: name, value: String(part), range: range)
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw .badValue(field: name, value: String(part), range: range)
                }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                let low = try value(pieces[0][..<dash])
                let high = try value(pieces[0][pieces[0].index(after: dash)...])
                guard low <= high else { throw .badValue(field: name, value: String(part), range: range) }
                bounds = low...high
            } else {
                let single = try value(pieces[0])
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            result.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return result
    }

    func matchesDay(year: Int, month: Int, day: Int) -> Bool {
        guard months.contains(month) else { return false }
        // 1970-01-01 was a Thursday.
        let weekday = Int((UTCDateTime(year: year, month: month, day: day).epochSeconds / 86_400 + 4) % 7 + 7) % 7
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(weekday)
        // Classic cron: when both are restricted, either one matching is enough.
        if dayOfMonthRestricted && dayOfWeekRestricted { return domMatch || dowMatch }
        return domMatch && dowMatch
    }

    /// The first time strictly after `time` that the schedule fires (nil if none in 8 years).
    public func next(after time: UTCDateTime) -> UTCDateTime? {
        var candidate = UTCDateTime(epochSeconds: (time.epochSeconds / 60 + 1) * 60)
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 8) {
            if matchesDay(year: candidate.year, month: candidate.month, day: candidate.day) {
                for hour in sortedHours where hour >= candidate.hour {
                    for minute in sortedMinutes where hour > candidate.hour || minute >= candidate.minute {
                        return UTCDateTime(
                            year: candidate.year, month: candidate.month, day: candidate.day, hour: hour, minute: minute
                        )
                    }
                }
            }
            let nextDay = UTCDateTime(
                epochSeconds: UTCDateTime(year: candidate.year, month: candidate.month, day: candidate.day).epochSeconds
                    + 86_400)
            candidate = nextDay
        }
        return nil
    }
}

public enum CronError: Error, Equatable, Sendable {
    case fieldCount(expression: String, count: Int)
    case badValue(field: String, value: String, range: ClosedRange<Int>)
}

extension CronError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fieldCount(let expression, let count):
            return
                "schedule '\(expression)' has \(count) fields: write 5 (minute hour day-of-month month day-of-week) or "
                + "@daily, @hourly, …"
        case .badValue(let field, let value, let range):
            return
                "schedule \(field) '\(value)' is not valid: use \(range.lowerBound)-\(range.upperBound), *, lists, "
                + "ranges or */step"
        }
    }
}
