import Crypto
import Foundation

/// Identifies an Ed25519 public key: the first 8 bytes of SHA-256 over the
/// key's 32 raw bytes, read as a big-endian integer (`SyncProtocol/tickets.md` §3).
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Derives the key id of a public key.
    public init(of publicKey: Curve25519.Signing.PublicKey) {
        self.init(publicKeyBytes: publicKey.rawRepresentation)
    }

    /// Derives the key id from the 32 raw bytes of a public key.
    public init(publicKeyBytes: some DataProtocol) {
        let digest = SHA256.hash(data: publicKeyBytes)
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        self.rawValue = value
    }

    /// Parses the 16-digit lowercase hexadecimal form.
    public init?(hex: String) {
        guard hex.utf8.count == 16, let value = UInt64(hex, radix: 16) else { return nil }
        self.rawValue = value
    }

    /// The 16-digit lowercase hexadecimal form, e.g. `3f09a1c4d2e8b700`.
    public var hex: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { hex }

}
