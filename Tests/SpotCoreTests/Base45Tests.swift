import Foundation
import SpotVectors
import Testing

@testable import SpotCore

@Suite("Base45 (RFC 9285)")
struct Base45Tests {
    @Test("RFC 9285 examples encode and decode", arguments: [
        ("AB", "BB8"),
        ("Hello!!", "%69 VD92EX0"),
        ("base-45", "UJCLQE7W581"),
        ("ietf!", "QED8WEX0"),
        ("", ""),
    ])
    func rfcExamples(plain: String, encoded: String) throws {
        #expect(Base45.encode(Array(plain.utf8)) == encoded)
        #expect(try Base45.decode(encoded) == Array(plain.utf8))
    }

    @Test("Random bytes round-trip and use only the QR alphanumeric alphabet")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 45)
        let alphabet = Set(Base45.alphabet)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base45.encode(bytes)
            #expect(text.utf8.count == length / 2 * 3 + length % 2 * 2)
            #expect(text.utf8.allSatisfy(alphabet.contains))
            #expect(try Base45.decode(text) == bytes)
        }
    }

    @Test("Invalid text is refused with the precise reason")
    func invalid() {
        #expect(throws: Base45.DecodingError.invalidLength) { try Base45.decode("BB8B") }
        #expect(throws: Base45.DecodingError.invalidCharacter(offset: 1)) { try Base45.decode("Bb8") }
        #expect(throws: Base45.DecodingError.invalidCharacter(offset: 3)) { try Base45.decode("BB8\u{e9}") }
        // "GGW" is 16 + 16·45 + 32·45² = 65536, one more than two bytes hold.
        #expect(throws: Base45.DecodingError.valueOutOfRange(offset: 0)) { try Base45.decode("GGW") }
        // ":6" is 44 + 6·45 = 314, more than one byte holds.
        #expect(throws: Base45.DecodingError.valueOutOfRange(offset: 3)) { try Base45.decode("BB8:6") }
    }
}
