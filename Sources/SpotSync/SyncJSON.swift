import Foundation
import Synchronization

/// The JSON conventions of the sync protocol and the server's API: snake_case keys on
/// the wire, idiomatic Swift names in code (`ticketTypeID` ⇄ `ticket_type_id`),
/// ISO 8601 date-times in whole seconds, keys sorted so equal messages encode identically.
public enum SyncJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in WireKey(snakeCases.convert(path.last!.stringValue, snakeCase)) }
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Key conversions run for every key of every message: each name is converted once.
    private static let snakeCases = KeyCache()
    private static let camelCases = KeyCache()

    private final class KeyCache: Sendable {
        private let converted = Mutex<[String: String]>([:])

        func convert(_ name: String, _ conversion: (String) -> String) -> String {
            if let hit = converted.withLock({ $0[name] }) { return hit }
            let result = conversion(name)
            converted.withLock { $0[name] = result }
            return result
        }
    }

    /// The same conventions, indented for files people read.
    public static let prettyEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = SyncJSON.encoder.keyEncodingStrategy
        encoder.dateEncodingStrategy = SyncJSON.encoder.dateEncodingStrategy
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in WireKey(camelCases.convert(path.last!.stringValue, camelCase)) }
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an ISO 8601 date-time such as 2026-12-31T20:00:00Z")
            }
            return date
        }
        return decoder
    }()

    /// Parses an RFC 3339 date-time (the profile of ISO 8601 JSON Schema's `date-time` names):
    /// `2026-12-31T20:00:00Z`, with fractional seconds, any offset up to ±23:59, `t`/`z` in either
    /// case, a leap second read as the second before it.
    public static func parseDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, _ allowed: String) -> Bool { index < bytes.count && allowed.utf8.contains(bytes[index]) }
        guard bytes.count >= 20, let year = number(0..<4), byte(4, "-"), let month = number(5..<7), byte(7, "-"),
            let day = number(8..<10), byte(10, "Tt"), let hour = number(11..<13), byte(13, ":"), let minute = number(14..<16),
            byte(16, ":"), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index, ".") {
            var scale = 0.1
            index += 1
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if byte(index, "Zz"), index + 1 == bytes.count {
            offset = 0
        } else if byte(index, "+-"), index + 6 == bytes.count, let hours = number(index + 1..<index + 3), byte(index + 3, ":"),
            let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
        {
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    /// ``snakeCase(_:)``, remembered per name.
    public static func wireName(_ name: String) -> String { snakeCases.convert(name, snakeCase) }

    /// ``camelCase(_:)``, remembered per name.
    public static func swiftName(_ name: String) -> String { camelCases.convert(name, camelCase) }

    /// `ticketTypeID` → `ticket_type_id`, `priceMinor` → `price_minor`.
    public static func snakeCase(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        // Plural acronyms are one word: `eventIDs` → `event_ids`.
        let characters = Array(name.replacingOccurrences(of: "IDs", with: "Ids").replacingOccurrences(of: "URLs", with: "Urls"))
        for (index, character) in characters.enumerated() {
            let startsWord = character.isUppercase && !current.isEmpty
                && (!(characters[index - 1].isUppercase)
                    || (index + 1 < characters.count && characters[index + 1].isLowercase))
            if startsWord {
                words.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    /// `ticket_type_id` → `ticketTypeID`, `event_ids` → `eventIDs`, `price_minor` → `priceMinor`.
    public static func camelCase(_ name: String) -> String {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return name }
        return parts.enumerated().map { index, part in
            if index == 0 { return String(part) }
            if part == "id" || part == "url" { return part.uppercased() }
            if part == "ids" { return "IDs" }
            return part.prefix(1).uppercased() + part.dropFirst()
        }.joined()
    }

    private struct WireKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
