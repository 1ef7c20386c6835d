import Foundation

/// SQL LIKE patterns (`%` any run, `_` one character, `\` escapes), as a DBA writes them to pick
/// accounts or databases. Case-sensitive, as user names are. Pure.
public enum SQLLike {
    public static func matches(_ text: String, pattern: String) -> Bool {
        var regex = "^"
        var escaped = false
        for character in pattern {
            if escaped {
                regex += NSRegularExpression.escapedPattern(for: String(character))
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "%" {
                regex += ".*"
            } else if character == "_" {
                regex += "."
            } else {
                regex += NSRegularExpression.escapedPattern(for: String(character))
            }
        }
        guard let compiled = try? NSRegularExpression(pattern: regex + "$", options: [.dotMatchesLineSeparators]) else {
            return false
        }
        return compiled.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// True when `patterns` is empty (everything) or one of them matches.
    public static func matchesAny(_ text: String, patterns: [String]) -> Bool {
        patterns.isEmpty || patterns.contains { matches(text, pattern: $0) }
    }
}
