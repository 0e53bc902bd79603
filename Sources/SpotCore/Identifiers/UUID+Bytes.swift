import Foundation

extension UUID {
    /// The 16 bytes of the UUID in RFC 9562 (network) order.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid) { Array($0) }
    }

    /// Creates a UUID from 16 bytes in RFC 9562 (network) order; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
        self.init(uuid: uuid)
    }

    /// The canonical lowercase text form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), written
    /// directly: bulk paths (a bootstrap formats 100,000 of these) skip `uuidString`'s
    /// uppercase detour.
    public var lowercasedText: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                let digits: StaticString = "0123456789abcdef"
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = digits.utf8Start[Int(byte >> 4)]
                    text[position + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }

    /// Parses the canonical text form in either case (36 characters, hyphens at 8, 13, 18
    /// and 23) directly — Foundation's parser goes through `sscanf`; `nil` for anything else.
    public init?(text: String) {
        var text = text
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        guard text.withUTF8({ $0.count == 36 && Self.parse($0, into: &uuid) }) else { return nil }
        self.init(uuid: uuid)
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>, into uuid: inout uuid_t) -> Bool {
        func nibble(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        return withUnsafeMutableBytes(of: &uuid) { bytes in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = nibble(text[position]), let low = nibble(text[position + 1]) else { return false }
                bytes[index] = high << 4 | low
                position += 2
            }
            return true
        }
    }

    /// Reads the 16 bytes at `offset` of `buffer` (network order) without copying them out.
    public init(bytesOf buffer: UnsafeRawBufferPointer, at offset: Int) {
        self.init(uuid: buffer.loadUnaligned(fromByteOffset: offset, as: uuid_t.self))
    }

    /// A version 7 UUID (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits,
    /// so identifiers created later sort later. Time and randomness are injected.
    public static func version7(
        unixMilliseconds: Int64,
        using generator: inout some RandomNumberGenerator
    ) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        let millis = UInt64(clamping: max(0, unixMilliseconds))
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index)))
        }
        let random = generator.next() as UInt64
        let more = generator.next() as UInt64
        for index in 6..<16 {
            let source = index < 14 ? random >> (8 * (index - 6)) : more >> (8 * (index - 14))
            bytes[index] = UInt8(truncatingIfNeeded: source)
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        return UUID(bytes: bytes)!
    }
}
