import Foundation

extension CompressionError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .initialisationFailed(let library, let code):
            return "\(library) could not start (code \(code)): the machine may be out of memory"
        case .corruptInput(let format, let detail):
            return "the \(format) data is corrupt (\(detail)): the object is damaged; pick another backup or re-take it"
        case .truncatedInput(let format):
            return
                "the \(format) data ends before its end marker: the object is truncated; pick another backup or "
                + "re-take it"
        case .internalError(let library, let code):
            return "\(library) failed with code \(code)"
        }
    }
}
