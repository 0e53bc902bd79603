import Foundation
import Testing

@testable import SpotServer

@Suite("Trimming whitespace")
struct WhitespaceTests {
    static let samples = [
        "", " ", "abc", " abc", "abc ", "\tabc\t", "a b c", "\nabc\n", "\r\nabc", "\u{00A0}abc", "abc\u{2003}",
        "\u{0085}abc", "\u{3000}abc\u{3000}", "ü", " ü ", "€abc€", "\u{1F600}", "\u{200B}abc", "\u{000B}abc\u{000C}",
    ]

    @Test("Trims exactly what Foundation trims, with and without newlines", arguments: samples)
    func sameAsFoundation(_ text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingWhitespace(newlines: true) == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(Substring(text).trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
    }
}
