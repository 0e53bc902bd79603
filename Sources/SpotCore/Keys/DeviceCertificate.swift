import Crypto
import Foundation

/// A statement, signed by an issuer key of the key ring, that a node's device
/// key may sign door-sale tickets for some events of one venue until `notAfter`
/// (`SyncProtocol/tickets.md` §6). Every node of the venue trusts it, so a ticket
/// sold at door A is valid offline at door B.
public struct DeviceCertificate: Sendable, Hashable {
    /// What the issuer certifies.
    public struct Claims: Sendable, Hashable {
        public var devicePublicKey: Curve25519.Signing.PublicKey
        public var nodeID: UUID
        public var venueID: UUID
        /// Events the device may sign tickets for (kept sorted and unique).
        public var eventIDs: [UUID]
        public var issuedAt: Date
        public var notAfter: Date

        public init(
            devicePublicKey: Curve25519.Signing.PublicKey, nodeID: UUID, venueID: UUID,
            eventIDs: [UUID], issuedAt: Date, notAfter: Date
        ) {
            self.devicePublicKey = devicePublicKey
            self.nodeID = nodeID
            self.venueID = venueID
            self.eventIDs = Array(Set(eventIDs)).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            self.issuedAt = issuedAt
            self.notAfter = notAfter
        }

        public static func == (lhs: Claims, rhs: Claims) -> Bool {
            lhs.devicePublicKey.rawRepresentation == rhs.devicePublicKey.rawRepresentation
                && lhs.nodeID == rhs.nodeID && lhs.venueID == rhs.venueID && lhs.eventIDs == rhs.eventIDs
                && lhs.issuedAt == rhs.issuedAt && lhs.notAfter == rhs.notAfter
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(nodeID)
            hasher.combine(venueID)
            hasher.combine(eventIDs)
        }
    }

    public static let formatVersion: UInt8 = 1
    public static let maximumEventCount = 1024
    static let signingContext = Array("HVFLVSPOT-DEVICE-CERTIFICATE-V1".utf8) + [0]

    public let claims: Claims
    public let issuerKeyID: KeyID
    public let signature: [UInt8]
    /// The canonical encoding: body followed by the 64-byte signature.
    public let bytes: [UInt8]

    /// The key id of the certified device key; tickets it signs carry this key id.
    public var deviceKeyID: KeyID { KeyID(of: claims.devicePublicKey) }

    /// Signs `claims` with `issuer`.
    public static func issue(_ claims: Claims, by issuer: SigningKey) throws(CertificateError) -> DeviceCertificate {
        guard !claims.eventIDs.isEmpty, claims.eventIDs.count <= maximumEventCount else {
            throw .eventCount(claims.eventIDs.count)
        }
        guard claims.notAfter > claims.issuedAt else { throw .notAfterBeforeIssue }
        let body = encodeBody(claims, issuerKeyID: issuer.keyID)
        let signature = issuer.sign(context: signingContext, message: body)
        return DeviceCertificate(claims: claims, issuerKeyID: issuer.keyID, signature: signature, bytes: body + signature)
    }

    private init(claims: Claims, issuerKeyID: KeyID, signature: [UInt8], bytes: [UInt8]) {
        self.claims = claims
        self.issuerKeyID = issuerKeyID
        self.signature = signature
        self.bytes = bytes
    }

    /// Parses the canonical encoding; the signature is checked by ``TrustStore``, not here.
    public init(bytes: [UInt8]) throws(CertificateError) {
        var reader = ByteReader(bytes)
        guard let version = reader.readUInt8() else { throw .malformed("empty") }
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        guard
            let issuer = reader.readUInt64(),
            let deviceKey = reader.readBytes(32),
            let nodeID = reader.readUUID(),
            let venueID = reader.readUUID(),
            let issuedAt = reader.readInt64(),
            let notAfter = reader.readInt64(),
            let count = reader.readUInt16()
        else { throw .malformed("truncated") }
        guard count >= 1, Int(count) <= Self.maximumEventCount else { throw .eventCount(Int(count)) }
        var events: [UUID] = []
        for _ in 0..<count {
            guard let event = reader.readUUID() else { throw .malformed("truncated event list") }
            if let last = events.last, !last.bytes.lexicographicallyPrecedes(event.bytes) {
                throw .malformed("event ids are not strictly ascending")
            }
            events.append(event)
        }
        guard let signature = reader.readBytes(64), reader.remaining == 0 else {
            throw .malformed("wrong length")
        }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: deviceKey) else {
            throw .malformed("device key")
        }
        guard notAfter > issuedAt else { throw .notAfterBeforeIssue }
        self.init(
            claims: Claims(
                devicePublicKey: publicKey, nodeID: nodeID, venueID: venueID, eventIDs: events,
                issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)),
                notAfter: Date(timeIntervalSince1970: TimeInterval(notAfter))),
            issuerKeyID: KeyID(rawValue: issuer), signature: Array(signature), bytes: bytes)
    }

    /// Reads an armored certificate file.
    public init(armored text: String) throws(CertificateError) {
        do {
            try self.init(bytes: KeyArmor.dearmor(text, label: KeyArmor.certificateLabel))
        } catch let error as CertificateError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    /// The armored certificate file.
    public var armored: String { KeyArmor.armor(bytes, label: KeyArmor.certificateLabel) }

    /// Whether the issuer's signature over the body is valid.
    func isSigned(by issuer: IssuerKey) -> Bool {
        issuer.keyID == issuerKeyID
            && issuer.publicKey.isValidSignature(signature, for: Self.signingContext + bytes.dropLast(64))
    }

    /// Whether the certificate covers `eventID`.
    func covers(_ eventID: UUID) -> Bool {
        claims.eventIDs.contains(eventID)
    }

    private static func encodeBody(_ claims: Claims, issuerKeyID: KeyID) -> [UInt8] {
        var writer = ByteWriter(capacity: 107 + 16 * claims.eventIDs.count)
        writer.write(formatVersion)
        writer.write(issuerKeyID.rawValue)
        writer.write(claims.devicePublicKey.rawRepresentation)
        writer.write(claims.nodeID)
        writer.write(claims.venueID)
        writer.write(Int64(claims.issuedAt.timeIntervalSince1970.rounded(.down)))
        writer.write(Int64(claims.notAfter.timeIntervalSince1970.rounded(.down)))
        writer.write(UInt16(claims.eventIDs.count))
        for event in claims.eventIDs { writer.write(event) }
        return writer.bytes
    }
}

/// Why a device certificate is not acceptable.
public enum CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupportedVersion(UInt8)
    case eventCount(Int)
    case notAfterBeforeIssue
    case unknownIssuer(KeyID)
    case invalidSignature
    case keyIDCollision(KeyID)

    public var description: String {
        switch self {
        case .malformed(let detail): "malformed device certificate (\(detail))"
        case .unsupportedVersion(let version): "device certificate format version \(version) is not supported"
        case .eventCount(let count):
            "a device certificate covers 1 to \(DeviceCertificate.maximumEventCount) events, not \(count)"
        case .notAfterBeforeIssue: "a device certificate's not-after must be later than its issue time"
        case .unknownIssuer(let id): "device certificate issued by key \(id), which is not trusted"
        case .invalidSignature: "device certificate signature does not verify"
        case .keyIDCollision(let id): "device key id \(id) collides with another trusted key"
        }
    }
}
