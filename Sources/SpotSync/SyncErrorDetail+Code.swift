import SpotCore

extension SyncErrorDetail {
    public init(_ code: ErrorCode, _ message: String) {
        self.init(code: code.rawValue, message: message)
    }

    /// The code, when it is one this software knows (a newer server may send others).
    public var knownCode: ErrorCode? { ErrorCode(rawValue: code) }
}
