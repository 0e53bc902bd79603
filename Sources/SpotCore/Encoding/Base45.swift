/// Base45 (RFC 9285): binary data as text made only of the 45 characters of
/// the QR alphanumeric mode, so a QR code stores 5.5 bits per character
/// instead of 8 bits per character in byte mode.
public enum Base45 {
    /// The alphabet, value order (RFC 9285 §4).
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    /// Why a text is not valid Base45.
    public enum DecodingError: Error, Equatable, Sendable {
        /// A character outside the alphabet, at this UTF-8 offset.
        case invalidCharacter(offset: Int)
        /// The length leaves one dangling character (length mod 3 == 1).
        case invalidLength
        /// A group encodes a value too large for its byte count.
        case valueOutOfRange(offset: Int)
    }

    /// Encodes bytes as Base45 text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 1) / 2 * 3)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            if let second = iterator.next() {
                var value = Int(first) << 8 | Int(second)
                for _ in 0..<3 {
                    out.append(alphabet[value % 45])
                    value /= 45
                }
            } else {
                let value = Int(first)
                out.append(alphabet[value % 45])
                out.append(alphabet[value / 45])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base45 text (given as UTF-8 bytes) into bytes.
    public static func decode(utf8 text: some Collection<UInt8>) throws(DecodingError) -> [UInt8] {
        let count = text.count
        guard count % 3 != 1 else { throw .invalidLength }
        var out = [UInt8]()
        out.reserveCapacity(count / 3 * 2 + 1)
        var offset = 0
        var index = text.startIndex
        while offset < count {
            let groupLength = min(3, count - offset)
            var value = 0
            var factor = 1
            for position in 0..<groupLength {
                let digit = Self.value(of: text[index])
                guard digit >= 0 else { throw .invalidCharacter(offset: offset + position) }
                value += digit * factor
                factor *= 45
                index = text.index(after: index)
            }
            if groupLength == 3 {
                guard value <= 0xFFFF else { throw .valueOutOfRange(offset: offset) }
                out.append(UInt8(value >> 8))
                out.append(UInt8(value & 0xFF))
            } else {
                guard value <= 0xFF else { throw .valueOutOfRange(offset: offset) }
                out.append(UInt8(value))
            }
            offset += groupLength
        }
        return out
    }

    /// Decodes Base45 text into bytes.
    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        try decode(utf8: Array(text.utf8))
    }

    /// The value of one alphabet character, or -1.
    @inline(__always)
    static func value(of character: UInt8) -> Int {
        Int(decodingTable[Int(character)])
    }

    private static let decodingTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = Int8(value)
        }
        return table
    }()
}
