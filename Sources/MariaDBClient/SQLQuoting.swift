/// Quoting for SQL text built outside a connection. Pure.
public enum SQLQuoting {
    /// `` `name` `` with backticks doubled.
    public static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }
}
