import Foundation

/// A submitted HTML form (`application/x-www-form-urlencoded`), every value as sent.
struct FormData: Sendable, Equatable {
    private(set) var pairs: [(String, String)]

    init(pairs: [(String, String)]) { self.pairs = pairs }

    /// Parses a urlencoded body: `+` is a space, `%XX` a byte; malformed escapes are
    /// kept literally rather than rejected (a browser never sends them).
    init(urlEncoded body: String) {
        pairs = body.split(separator: "&", omittingEmptySubsequences: true).map { field in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value named `name`.
    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every value named `name`, in order (checkboxes, repeated fields).
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    static func == (lhs: FormData, rhs: FormData) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0 == $1 }
    }
}
