import Foundation

extension StringProtocol {
    /// The text without leading and trailing whitespace — `CharacterSet.whitespaces`, or
    /// `.whitespacesAndNewlines` with `newlines` — exactly as `trimmingCharacters(in:)` trims it,
    /// but without Foundation's bridging when neither end can be whitespace, which is nearly
    /// always (a bearer token, a gate name): that bridging was about 2 % of the machine's CPU
    /// during `spot bench commerce`'s check-ins.
    func trimmingWhitespace(newlines: Bool = false) -> String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        // Every whitespace or newline character is a control or space character (≤ U+0020) or outside ASCII.
        func mayBeWhitespace(_ scalar: Unicode.Scalar) -> Bool { scalar.value <= 0x20 || scalar.value >= 0x80 }
        guard mayBeWhitespace(first) || mayBeWhitespace(last) else { return String(self) }
        return trimmingCharacters(in: newlines ? .whitespacesAndNewlines : .whitespaces)
    }
}
