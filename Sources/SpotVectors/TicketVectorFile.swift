import Crypto
import Foundation
import SpotCore

/// The JSON shape of `SyncProtocol/vectors/tickets-v1.json` (described in
/// `SyncProtocol/tickets.md` §8). Any implementation can read it: keys are
/// given as seeds, every input explicitly, and each case states the verdict
/// it must produce.
public struct TicketVectorFile: Codable, Equatable, Sendable {
    public var description: String
    public var formatVersion: Int
    public var generator: String
    public var keys: [String: Key]
    public var certificates: [String: Certificate]
    public var cases: [Case]

    enum CodingKeys: String, CodingKey {
        case description
        case formatVersion = "format_version"
        case generator, keys, certificates, cases
    }

    public struct Key: Codable, Equatable, Sendable {
        public var seedHex: String
        public var publicKeyHex: String
        public var keyID: String

        enum CodingKeys: String, CodingKey {
            case seedHex = "seed_hex"
            case publicKeyHex = "public_key_hex"
            case keyID = "key_id"
        }
    }

    public struct Certificate: Codable, Equatable, Sendable {
        public var issuer: String
        public var deviceKey: String
        public var nodeID: String
        public var venueID: String
        public var eventIDs: [String]
        public var issuedAt: Date
        public var notAfter: Date
        public var hex: String

        enum CodingKeys: String, CodingKey {
            case issuer
            case deviceKey = "device_key"
            case nodeID = "node_id"
            case venueID = "venue_id"
            case eventIDs = "event_ids"
            case issuedAt = "issued_at"
            case notAfter = "not_after"
            case hex
        }
    }

    public struct Ticket: Codable, Equatable, Sendable {
        public var key: String
        public var ticketID: String
        public var eventID: String
        public var ticketTypeID: String
        public var issueVersion: UInt32
        public var validFrom: Date?
        public var validUntil: Date?

        enum CodingKeys: String, CodingKey {
            case key
            case ticketID = "ticket_id"
            case eventID = "event_id"
            case ticketTypeID = "ticket_type_id"
            case issueVersion = "issue_version"
            case validFrom = "valid_from"
            case validUntil = "valid_until"
        }
    }

    public struct TrustedKey: Codable, Equatable, Sendable {
        public var key: String
        public var status: String
        public var verifiesUntil: Date?

        enum CodingKeys: String, CodingKey {
            case key, status
            case verifiesUntil = "verifies_until"
        }
    }

    public struct Event: Codable, Equatable, Sendable {
        public var eventID: String
        public var cancelled: Bool
        public var allowedTicketTypes: [String]?
        public var reentryPolicy: String

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case cancelled
            case allowedTicketTypes = "allowed_ticket_types"
            case reentryPolicy = "reentry_policy"
        }
    }

    public struct Scan: Codable, Equatable, Sendable {
        public var scanID: String
        public var ticketID: String
        public var issueVersion: UInt32
        public var direction: String
        public var gate: String
        public var nodeID: String
        public var at: Date
        public var hlcCounter: UInt16

        enum CodingKeys: String, CodingKey {
            case scanID = "scan_id"
            case ticketID = "ticket_id"
            case issueVersion = "issue_version"
            case direction, gate
            case nodeID = "node_id"
            case at
            case hlcCounter = "hlc_counter"
        }
    }

    public struct Revocation: Codable, Equatable, Sendable {
        public var ticketID: String
        public var issueVersion: UInt32
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case ticketID = "ticket_id"
            case issueVersion = "issue_version"
            case reason
        }
    }

    public struct Context: Codable, Equatable, Sendable {
        public var now: Date
        public var direction: String
        public var gate: String
        public var venueID: String?
        public var trustedKeys: [TrustedKey]
        public var certificates: [String]
        /// `null`: the gate admits any event.
        public var events: [Event]?
        public var revocations: [Revocation]
        public var scans: [Scan]

        enum CodingKeys: String, CodingKey {
            case now, direction, gate
            case venueID = "venue_id"
            case trustedKeys = "trusted_keys"
            case certificates, events, revocations, scans
        }
    }

    public struct Expected: Codable, Equatable, Sendable {
        public var verdict: String
        /// For `malformed`: which structural rule failed.
        public var reason: String?
    }

    public struct Case: Codable, Equatable, Sendable {
        public var name: String
        public var description: String
        /// The claims and signing key, when the payload is a (possibly modified) real ticket.
        public var ticket: Ticket?
        /// The binary payload, when it is valid Base45.
        public var payloadHex: String?
        public var payloadText: String
        public var context: Context
        public var expected: Expected

        enum CodingKeys: String, CodingKey {
            case name, description, ticket
            case payloadHex = "payload_hex"
            case payloadText = "payload_text"
            case context, expected
        }
    }
}

extension TicketVectorFile {
    /// Decodes the file (dates in ISO 8601).
    public static func decode(_ data: Data) throws -> TicketVectorFile {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(TicketVectorFile.self, from: data)
    }

    /// The canonical JSON text: sorted keys, two-space indentation, trailing newline.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Strings, numbers, dates and UUIDs always encode.
        return try! encoder.encode(self) + Data("\n".utf8)
    }

    /// The signing key named `name`.
    public func signingKey(_ name: String) throws -> SigningKey {
        guard let key = keys[name], let seed = Data(hexString: key.seedHex) else { throw VectorError.unknownKey(name) }
        return try SigningKey(seed: seed)
    }

    /// The verifier, revocations and scans a case describes.
    public func inputs(for vector: Case) throws -> (TicketVerifier, RevocationList, ScanLedger, ScanDirection) {
        let context = vector.context
        let issuerKeys = try context.trustedKeys.map { trusted in
            let key = try signingKey(trusted.key)
            let status: KeyStatus =
                switch (trusted.status, trusted.verifiesUntil) {
                case ("active", nil): .active
                case ("retired", let until?): .retired(verifiesUntil: until)
                default: throw VectorError.invalidField("trusted_keys.status")
                }
            return IssuerKey(publicKey: key.publicKey, status: status)
        }
        let certificates = try context.certificates.map { name in
            guard let hex = self.certificates[name]?.hex, let bytes = Data(hexString: hex) else {
                throw VectorError.unknownCertificate(name)
            }
            return try DeviceCertificate(bytes: Array(bytes))
        }
        // Unknown policies and reasons are read as a verifier reads them from the wire (fail closed).
        let events = try context.events?.map { event in
            EventAdmission(
                eventID: try uuid(event.eventID), isCancelled: event.cancelled,
                allowedTicketTypes: try event.allowedTicketTypes.map { Set(try $0.map(uuid)) },
                reentryPolicy: ReentryPolicy(wireValue: event.reentryPolicy))
        }
        let scans = try context.scans.map { scan in
            guard let direction = ScanDirection(rawValue: scan.direction) else {
                throw VectorError.invalidField("scans.direction")
            }
            return ScanRecord(
                scanID: try uuid(scan.scanID), ticketID: try uuid(scan.ticketID), issueVersion: scan.issueVersion,
                direction: direction, gate: scan.gate, nodeID: try uuid(scan.nodeID),
                at: HLCTimestamp(
                    wallMilliseconds: Int64((scan.at.timeIntervalSince1970 * 1000).rounded()),
                    counter: scan.hlcCounter))
        }
        guard let direction = ScanDirection(rawValue: context.direction) else {
            throw VectorError.invalidField("direction")
        }
        let revocations = try context.revocations.map { revocation in
            SpotCore.Revocation(
                ticketID: try uuid(revocation.ticketID), issueVersion: revocation.issueVersion,
                reason: RevocationReason(wireValue: revocation.reason))
        }
        let verifier = TicketVerifier(
            trust: try TrustStore(issuerKeys: issuerKeys, certificates: certificates),
            gate: GatePolicy(gate: context.gate, venueID: try context.venueID.map(uuid), events: events))
        return (verifier, RevocationList(revocations), ScanLedger(scans), direction)
    }
}

/// Parses a UUID field (any case; the generator writes lower case).
func uuid(_ text: String) throws -> UUID {
    guard let value = UUID(uuidString: text) else { throw VectorError.invalidField("uuid \(text)") }
    return value
}

extension UUID {
    /// The lower-case text form used in every JSON document of the protocol.
    var lowercased: String { uuidString.lowercased() }
}

/// A vector file refers to something it does not define.
public enum VectorError: Error, Equatable, Sendable {
    case unknownKey(String)
    case unknownCertificate(String)
    case invalidField(String)
}
