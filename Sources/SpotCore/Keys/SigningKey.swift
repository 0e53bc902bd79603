import Crypto
import Foundation

/// An Ed25519 private key that signs tickets or certificates, with its key id.
public struct SigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public let keyID: KeyID

    /// Generates a new random key.
    public init() {
        self.init(privateKey: Curve25519.Signing.PrivateKey())
    }

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        self.keyID = KeyID(of: privateKey.publicKey)
    }

    /// Recreates a key from its 32-byte seed (RFC 8032 private key).
    public init(seed: some ContiguousBytes) throws(KeyError) {
        do {
            self.init(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
        } catch {
            throw .invalidKeyLength
        }
    }

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    /// The 32-byte seed.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// Signs `context ‖ message`; contexts separate ticket signatures from certificate signatures.
    func sign(context: [UInt8], message: [UInt8]) -> [UInt8] {
        // Ed25519 over BoringSSL cannot fail for a valid key; a failure here is a broken invariant.
        guard let signature = try? privateKey.signature(for: context + message) else {
            preconditionFailure("Ed25519 signing failed")
        }
        return Array(signature)
    }
}

/// Errors about key material.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidKeyLength
    case notArmored(expected: String)
    case invalidBase64
    case keyRetired(KeyID)
    case unknownKey(KeyID)
    case noActiveKey
    case duplicateKeyID(KeyID)

    public var description: String {
        switch self {
        case .invalidKeyLength: "an Ed25519 key is exactly 32 bytes"
        case .notArmored(let label): "not a \(label) file (expected a '-----BEGIN \(label)-----' block)"
        case .invalidBase64: "the key block is not valid base64"
        case .keyRetired(let id): "key \(id) is retired: it still verifies but never signs"
        case .unknownKey(let id): "key \(id) is not in the key ring"
        case .noActiveKey: "the key ring has no active signing key"
        case .duplicateKeyID(let id): "two different keys share the key id \(id)"
        }
    }
}
