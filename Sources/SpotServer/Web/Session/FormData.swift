import Foundation
import SpotSync

/// A submitted HTML form (`application/x-www-form-urlencoded`), every value as sent.
struct FormData: Sendable, Equatable {
    private(set) var pairs: [(String, String)]

    init(pairs: [(String, String)]) { self.pairs = pairs }

    /// Parses a urlencoded body: `+` is a space, `%XX` a byte. A name or value that is not
    /// UTF-8 text, or holds a NUL character, refuses the whole form (``InputText``); a malformed
    /// escape is kept literally (a browser never sends one).
    init(urlEncoded body: String) throws(InputText.Problem) {
        pairs = try body.split(separator: "&", omittingEmptySubsequences: true).map { (field) throws(InputText.Problem) in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (try Self.decode(parts[0]), parts.count > 1 ? try Self.decode(parts[1]) : "")
        }
    }

    private static func decode(_ text: Substring) throws(InputText.Problem) -> String {
        let bytes = InputText.percentDecoded(Substring(text.replacingOccurrences(of: "+", with: " ")))
        if let problem = InputText.problem(inText: bytes) { throw problem }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first value named `name`.
    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every value named `name`, in order (checkboxes, repeated fields).
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    static func == (lhs: FormData, rhs: FormData) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0 == $1 }
    }
}
