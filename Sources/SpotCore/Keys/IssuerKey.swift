import Crypto
import Foundation

/// Whether a key of the ring may still sign.
public enum KeyStatus: Sendable, Hashable {
    /// Signs new tickets and certificates, and verifies.
    case active
    /// Never signs again; still verifies what it signed until `verifiesUntil`
    /// (the server sets it to the last validity end of the tickets it signed).
    case retired(verifiesUntil: Date)
}

/// The public half of a key of the issuer key ring, as nodes and verifiers receive it.
public struct IssuerKey: Sendable, Hashable {
    public let keyID: KeyID
    public let publicKey: Curve25519.Signing.PublicKey
    public var status: KeyStatus

    public init(publicKey: Curve25519.Signing.PublicKey, status: KeyStatus = .active) {
        self.keyID = KeyID(of: publicKey)
        self.publicKey = publicKey
        self.status = status
    }

    /// Reads an armored public key file (`signing.pub`).
    public init(armored text: String, status: KeyStatus = .active) throws(KeyError) {
        let bytes = try KeyArmor.dearmor(text, label: KeyArmor.publicKeyLabel)
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw .invalidKeyLength
        }
        self.init(publicKey: key, status: status)
    }

    public static func == (lhs: IssuerKey, rhs: IssuerKey) -> Bool {
        lhs.keyID == rhs.keyID && lhs.publicKey.rawRepresentation == rhs.publicKey.rawRepresentation
            && lhs.status == rhs.status
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keyID)
        hasher.combine(status)
    }

    /// Whether this key still verifies signatures at `now`.
    func verifies(at now: Date) -> Bool {
        switch status {
        case .active: true
        case .retired(let until): now < until
        }
    }
}

/// The server's private issuer key ring: exactly one active key signs; retired
/// keys never sign but stay published so their tickets keep verifying.
public struct KeyRing: Sendable {
    public struct Entry: Sendable {
        public let signingKey: SigningKey
        public var status: KeyStatus

        public init(signingKey: SigningKey, status: KeyStatus) {
            self.signingKey = signingKey
            self.status = status
        }
    }

    public private(set) var entries: [Entry]

    /// A ring with one active key.
    public init(activeKey: SigningKey) {
        entries = [Entry(signingKey: activeKey, status: .active)]
    }

    /// A ring from stored entries; refuses duplicate key ids and more than one active key.
    public init(entries: [Entry]) throws(KeyError) {
        var seen = Set<KeyID>()
        for entry in entries where !seen.insert(entry.signingKey.keyID).inserted {
            throw .duplicateKeyID(entry.signingKey.keyID)
        }
        guard entries.filter({ $0.status == .active }).count == 1 else { throw .noActiveKey }
        self.entries = entries
    }

    /// The one key that signs new tickets and certificates.
    public var activeKey: SigningKey {
        // The initialisers and `rotate` keep exactly one active entry.
        entries.first { $0.status == .active }!.signingKey
    }

    /// The key `keyID` for signing; a retired key is refused.
    public func signingKey(_ keyID: KeyID) throws(KeyError) -> SigningKey {
        guard let entry = entries.first(where: { $0.signingKey.keyID == keyID }) else { throw .unknownKey(keyID) }
        guard entry.status == .active else { throw .keyRetired(keyID) }
        return entry.signingKey
    }

    /// Retires the active key (it verifies until `retiredKeyVerifiesUntil`) and makes `newKey` active.
    public mutating func rotate(to newKey: SigningKey, retiredKeyVerifiesUntil: Date) throws(KeyError) {
        guard !entries.contains(where: { $0.signingKey.keyID == newKey.keyID }) else {
            throw .duplicateKeyID(newKey.keyID)
        }
        for index in entries.indices where entries[index].status == .active {
            entries[index].status = .retired(verifiesUntil: retiredKeyVerifiesUntil)
        }
        entries.append(Entry(signingKey: newKey, status: .active))
    }

    /// The public ring to publish to nodes and verifiers.
    public var publicKeys: [IssuerKey] {
        entries.map { IssuerKey(publicKey: $0.signingKey.publicKey, status: $0.status) }
    }
}
