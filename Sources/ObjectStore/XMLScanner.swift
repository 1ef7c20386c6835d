/// Just enough XML for S3's answers (ListObjectsV2, InitiateMultipartUpload, Error, STS): the
/// text or inner XML of non-nested elements by tag name. Pure.
public enum XMLScanner {
    /// Inner XML of every `<tag>…</tag>`, in document order.
    public static func elements(_ tag: String, in xml: String) -> [Substring] {
        var results: [Substring] = []
        let open = "<\(tag)>"
        let close = "</\(tag)>"
        var searchStart = xml.startIndex
        while let start = xml.range(of: open, range: searchStart..<xml.endIndex),
            let end = xml.range(of: close, range: start.upperBound..<xml.endIndex)
        {
            results.append(xml[start.upperBound..<end.lowerBound])
            searchStart = end.upperBound
        }
        return results
    }

    /// The unescaped text of the first `<tag>`.
    public static func value(_ tag: String, in xml: some StringProtocol) -> String? {
        elements(tag, in: String(xml)).first.map { unescape(String($0)) }
    }

    public static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&", let semicolon = text[index...].firstIndex(of: ";") {
                let entity = text[text.index(after: index)..<semicolon]
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x"), let code = UInt32(entity.dropFirst(2), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    {
                        replacement = String(Character(scalar))
                    } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()),
                        let scalar = Unicode.Scalar(code)
                    {
                        replacement = String(Character(scalar))
                    }
                }
                if let replacement {
                    out += replacement
                    index = text.index(after: semicolon)
                    continue
                }
            }
            out.append(text[index])
            index = text.index(after: index)
        }
        return out
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
