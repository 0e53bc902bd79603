import Foundation

/// The outcome of checking one scanned payload at a gate (`SyncProtocol/tickets.md` §5).
public enum Verdict: Sendable, Hashable {
    case ok
    case malformed(MalformedReason)
    case unsupportedVersion(UInt8)
    case unknownKey(KeyID)
    case invalidSignature
    case keyRetired(KeyID)
    case certificateExpired(notAfter: Date)
    case deviceNotAuthorized
    case wrongEvent(UUID)
    case eventCancelled
    /// The event's re-entry policy is one this software does not know.
    case unsupportedPolicy
    case productNotAllowed(ticketTypeID: UUID)
    case revoked(RevocationReason)
    case superseded(currentAtLeast: UInt32)
    case notYetValid(validFrom: Date)
    case expired(validUntil: Date)
    case alreadyAdmitted(at: Date, gate: String, nodeID: UUID)
    case notInside

    /// The stable machine code, as in the spec and the test vectors.
    public var code: VerdictCode {
        switch self {
        case .ok: .ok
        case .malformed: .malformed
        case .unsupportedVersion: .unsupportedVersion
        case .unknownKey: .unknownKey
        case .invalidSignature: .invalidSignature
        case .keyRetired: .keyRetired
        case .certificateExpired: .certificateExpired
        case .deviceNotAuthorized: .deviceNotAuthorized
        case .wrongEvent: .wrongEvent
        case .eventCancelled: .eventCancelled
        case .unsupportedPolicy: .unsupportedPolicy
        case .productNotAllowed: .productNotAllowed
        case .revoked: .revoked
        case .superseded: .superseded
        case .notYetValid: .notYetValid
        case .expired: .expired
        case .alreadyAdmitted: .alreadyAdmitted
        case .notInside: .notInside
        }
    }

    /// Whether the holder passes the gate.
    public var passes: Bool { self == .ok }

    /// The colour a door screen shows: green passes; amber needs a person to look
    /// (a second admission, a ticket too early); red refuses.
    public var signal: DoorSignal {
        switch self {
        case .ok: .green
        case .alreadyAdmitted, .notYetValid, .notInside, .superseded: .amber
        default: .red
        }
    }

    /// A short sentence for the door screen; times are shown in `timeZone`.
    public func message(direction: ScanDirection, timeZone: TimeZone = .gmt) -> String {
        switch self {
        case .ok:
            direction == .entry ? "Valid ticket: admit." : "Exit recorded."
        case .malformed:
            "Not a readable ticket: this code is damaged or is not an HVFLVSPOT ticket."
        case .unsupportedVersion(let version):
            "Ticket format version \(version) is newer than this device understands: update the node software."
        case .unknownKey(let keyID):
            "Signed by an unknown key (\(keyID)): not a ticket of this organizer, or this device has not synced its keys."
        case .invalidSignature:
            "Forged or altered ticket: the signature does not match."
        case .keyRetired(let keyID):
            "Signed with key \(keyID), which has been retired: this ticket no longer admits."
        case .certificateExpired(let notAfter):
            "Sold by a door device whose certificate expired \(Self.format(notAfter, timeZone))."
        case .deviceNotAuthorized:
            "Sold by a door device that is not authorized for this event or venue."
        case .wrongEvent:
            "Ticket for another event: not admitted at this gate."
        case .eventCancelled:
            "This event has been cancelled."
        case .unsupportedPolicy:
            "This event's entry rules are newer than this device understands: update the node software."
        case .productNotAllowed:
            "This ticket type is not admitted at this gate."
        case .revoked(.unrecognized):
            "Ticket revoked (for a reason this device does not know): do not admit."
        case .revoked(let reason):
            "Ticket revoked (\(reason.rawValue)): do not admit."
        case .superseded:
            "Old copy of a re-issued ticket: ask for the current ticket."
        case .notYetValid(let from):
            "Not valid yet: valid from \(Self.format(from, timeZone))."
        case .expired(let until):
            "Expired: valid until \(Self.format(until, timeZone))."
        case .alreadyAdmitted(let at, let gate, _):
            "Already admitted \(Self.format(at, timeZone)) at gate \(gate)."
        case .notInside:
            "No entry recorded for this ticket: there is nothing to exit."
        }
    }

    /// `2026-11-24 21:04` in `timeZone`, with ` UTC` appended when the zone's offset is zero.
    static func format(_ date: Date, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        let text = "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
        return timeZone.secondsFromGMT(for: date) == 0 ? text + " UTC" : text
    }
}

/// The machine code of a verdict (``Verdict/code``), in the order the spec lists them.
public enum VerdictCode: String, Vocabulary {
    case ok
    case malformed
    case unsupportedVersion = "unsupported_version"
    case unknownKey = "unknown_key"
    case invalidSignature = "invalid_signature"
    case keyRetired = "key_retired"
    case certificateExpired = "certificate_expired"
    case deviceNotAuthorized = "device_not_authorized"
    case wrongEvent = "wrong_event"
    case eventCancelled = "event_cancelled"
    case unsupportedPolicy = "unsupported_policy"
    case productNotAllowed = "product_not_allowed"
    case revoked
    case superseded
    case notYetValid = "not_yet_valid"
    case expired
    case alreadyAdmitted = "already_admitted"
    case notInside = "not_inside"

    public static let vocabularyName = "verdict"
}

/// What a door screen shows.
public enum DoorSignal: String, Codable, Sendable {
    case green
    case amber
    case red
}

/// The verdict together with what was learned about the ticket.
public struct VerificationResult: Sendable, Hashable {
    public let verdict: Verdict
    public let direction: ScanDirection
    /// The ticket, present once its signature has been verified (never for forged payloads).
    public let ticket: SignedTicket?

    public init(verdict: Verdict, direction: ScanDirection, ticket: SignedTicket?) {
        self.verdict = verdict
        self.direction = direction
        self.ticket = ticket
    }

    /// The sentence for the door screen.
    public func message(timeZone: TimeZone = .gmt) -> String {
        verdict.message(direction: direction, timeZone: timeZone)
    }
}
