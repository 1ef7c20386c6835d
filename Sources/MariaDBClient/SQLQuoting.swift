/// Quoting for SQL text built outside a connection. Pure.
public enum SQLQuoting {
    /// `` `name` `` with backticks doubled.
    public static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `'text'` with backslashes and quotes escaped (the default sql_mode's rules; NUL as `\0`).
    public static func literal(_ text: String) -> String {
        var out = "'"
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "'": out += "''"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(character)
            }
        }
        return out + "'"
    }
}
