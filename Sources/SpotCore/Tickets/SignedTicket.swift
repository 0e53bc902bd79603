import Crypto
import Foundation

/// A ticket in format v1: the binary payload (claims, key id, Ed25519 signature)
/// and its Base45 text, which is what the QR code holds (`SyncProtocol/tickets.md`).
public struct SignedTicket: Sendable, Hashable {
    public static let formatVersion: UInt8 = 1
    /// Bytes before the optional validity fields.
    static let fixedBodyLength = 62
    public static let signatureLength = 64
    /// Largest v1 payload: both validity fields present.
    public static let maximumPayloadLength = fixedBodyLength + 16 + signatureLength
    /// Longest payload text of any format version a verifier will try to decode.
    public static let maximumTextLength = 512
    static let signingContext = Array("HVFLVSPOT-TICKET-V1".utf8) + [0]

    static let validFromFlag: UInt8 = 0x01
    static let validUntilFlag: UInt8 = 0x02

    public let keyID: KeyID
    public let claims: TicketClaims
    public let signature: [UInt8]
    /// The binary payload: body followed by the signature.
    public let bytes: [UInt8]

    /// The payload text for the QR code (Base45 of ``bytes``).
    public var text: String { Base45.encode(bytes) }

    /// The exact bytes the Ed25519 signature covers: the ticket signing context,
    /// then the payload without its signature (`SyncProtocol/tickets.md` §4).
    public var signedMessage: [UInt8] { Self.signingContext + bytes.dropLast(Self.signatureLength) }

    /// Signs `claims` with `key`.
    public static func sign(_ claims: TicketClaims, with key: SigningKey) throws(TicketClaimsError) -> SignedTicket {
        guard claims.issueVersion >= 1 else { throw .issueVersionZero }
        if let from = claims.validFrom, let until = claims.validUntil, from >= until {
            throw .validityWindowEmpty
        }
        let body = encodeBody(claims, keyID: key.keyID)
        let signature = key.sign(context: signingContext, message: body)
        return SignedTicket(keyID: key.keyID, claims: claims, signature: signature, bytes: body + signature)
    }

    private init(keyID: KeyID, claims: TicketClaims, signature: [UInt8], bytes: [UInt8]) {
        self.keyID = keyID
        self.claims = claims
        self.signature = signature
        self.bytes = bytes
    }

    /// Decodes payload text into its fields without checking the signature
    /// (`SyncProtocol/tickets.md` §5, steps 1–3).
    public init(text: String) throws(TicketDecodingError) {
        var utf8 = text.utf8[...]
        while let first = utf8.first, first == 0x0A || first == 0x0D { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x0A || last == 0x0D { utf8 = utf8.dropLast() }
        guard !utf8.isEmpty else { throw .malformed(.empty) }
        guard utf8.count <= Self.maximumTextLength else { throw .malformed(.tooLong) }
        let bytes: [UInt8]
        do {
            bytes = try Base45.decode(utf8: utf8)
        } catch {
            throw .malformed(.notBase45)
        }
        try self.init(bytes: bytes)
    }

    /// Decodes a binary payload without checking the signature.
    public init(bytes: [UInt8]) throws(TicketDecodingError) {
        var reader = ByteReader(bytes)
        guard let version = reader.readUInt8() else { throw .malformed(.empty) }
        guard version != 0 else { throw .malformed(.versionZero) }
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        guard let flags = reader.readUInt8() else { throw .malformed(.wrongLength) }
        guard flags & ~(Self.validFromFlag | Self.validUntilFlag) == 0 else { throw .malformed(.reservedFlags) }
        let expectedLength =
            Self.fixedBodyLength + (flags & Self.validFromFlag != 0 ? 8 : 0)
            + (flags & Self.validUntilFlag != 0 ? 8 : 0) + Self.signatureLength
        guard bytes.count == expectedLength else { throw .malformed(.wrongLength) }
        // The length check above guarantees every read below succeeds.
        let keyID = KeyID(rawValue: reader.readUInt64()!)
        let ticketID = reader.readUUID()!
        let eventID = reader.readUUID()!
        let ticketTypeID = reader.readUUID()!
        let issueVersion = reader.readUInt32()!
        guard issueVersion >= 1 else { throw .malformed(.issueVersionZero) }
        let validFrom = flags & Self.validFromFlag != 0 ? reader.readInt64()! : nil
        let validUntil = flags & Self.validUntilFlag != 0 ? reader.readInt64()! : nil
        if let validFrom, let validUntil, validFrom >= validUntil { throw .malformed(.validityWindowEmpty) }
        let signature = Array(reader.readBytes(Self.signatureLength)!)
        self.init(
            keyID: keyID,
            claims: TicketClaims(
                ticketID: ticketID, eventID: eventID, ticketTypeID: ticketTypeID, issueVersion: issueVersion,
                validFrom: validFrom.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                validUntil: validUntil.map { Date(timeIntervalSince1970: TimeInterval($0)) }),
            signature: signature, bytes: bytes)
    }

    /// Whether `publicKey` signed this payload.
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: signedMessage)
    }

    private static func encodeBody(_ claims: TicketClaims, keyID: KeyID) -> [UInt8] {
        var flags: UInt8 = 0
        if claims.validFrom != nil { flags |= validFromFlag }
        if claims.validUntil != nil { flags |= validUntilFlag }
        var writer = ByteWriter(capacity: maximumPayloadLength)
        writer.write(formatVersion)
        writer.write(flags)
        writer.write(keyID.rawValue)
        writer.write(claims.ticketID)
        writer.write(claims.eventID)
        writer.write(claims.ticketTypeID)
        writer.write(claims.issueVersion)
        if let from = claims.validFrom { writer.write(Int64(from.timeIntervalSince1970)) }
        if let until = claims.validUntil { writer.write(Int64(until.timeIntervalSince1970)) }
        return writer.bytes
    }
}

/// Claims that cannot be signed.
public enum TicketClaimsError: Error, Equatable, Sendable, CustomStringConvertible {
    case issueVersionZero
    case validityWindowEmpty

    public var description: String {
        switch self {
        case .issueVersionZero: "the issue version starts at 1"
        case .validityWindowEmpty: "valid-from must be earlier than valid-until"
        }
    }
}

/// Why payload text is not a decodable ticket.
public enum TicketDecodingError: Error, Equatable, Sendable {
    case malformed(MalformedReason)
    case unsupportedVersion(UInt8)
}

/// The precise structural fault of a malformed payload.
public enum MalformedReason: String, Sendable, Equatable {
    case empty
    case tooLong = "too_long"
    case notBase45 = "not_base45"
    case versionZero = "version_zero"
    case reservedFlags = "reserved_flags"
    case wrongLength = "wrong_length"
    case issueVersionZero = "issue_version_zero"
    case validityWindowEmpty = "validity_window_empty"
}
