import Foundation
import SpotCore

/// The one check every text from outside passes before it is decoded, on the server and the
/// node alike: it must be UTF-8 and hold no NUL character (PostgreSQL cannot store one, and no
/// name, gate or code needs one). A JSON body, a form and a URL's percent-encoded bytes are
/// each checked as they arrive, so such input is refused with a 422 instead of failing later.
public enum InputText {
    /// Why a text was refused.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidUTF8
        case nulCharacter

        public var description: String {
            switch self {
            case .invalidUTF8: "is not valid UTF-8 text"
            case .nulCharacter: "contains a NUL character (U+0000)"
            }
        }
    }

    /// Checks raw bytes (a form value, a decoded URL component).
    public static func problem(inText bytes: some Collection<UInt8>) -> Problem? {
        if bytes.contains(0) { return .nulCharacter }
        return String(validating: bytes, as: UTF8.self) == nil ? .invalidUTF8 : nil
    }

    /// Checks a JSON document's bytes: UTF-8 throughout, and no NUL in a string, raw or as the
    /// escape `\u0000` (an escaped backslash before `u0000` is text, not an escape).
    public static func problem(inJSON bytes: some Collection<UInt8>) -> Problem? {
        if let problem = problem(inText: bytes) { return problem }
        var iterator = bytes.makeIterator()
        var inString = false
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "\""):
                inString.toggle()
            case UInt8(ascii: "\\") where inString:
                guard let escaped = iterator.next() else { return nil }
                guard escaped == UInt8(ascii: "u") else { continue }
                var digits: [UInt8] = []
                while digits.count < 4, let digit = iterator.next() { digits.append(digit) }
                if digits.allSatisfy({ $0 == UInt8(ascii: "0") }), digits.count == 4 { return .nulCharacter }
            default:
                continue
            }
        }
        return nil
    }

    /// Checks a URL's path or query, or a form field: every `%XX` decoded, the result checked as text.
    public static func problem(inPercentEncoded text: Substring) -> Problem? {
        problem(inText: percentDecoded(text))
    }

    /// The bytes `%XX` escapes stand for; a malformed escape is kept as typed.
    public static func percentDecoded(_ text: Substring) -> [UInt8] {
        let source = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "%"), index + 2 < source.count,
                let high = Data.hexDigitValue(source[index + 1]), let low = Data.hexDigitValue(source[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return bytes
    }
}
