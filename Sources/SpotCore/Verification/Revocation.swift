import Foundation

/// Why a ticket was revoked centrally.
public enum RevocationReason: String, RestrictiveVocabulary {
    case refunded
    case cancelled
    /// A new issue version replaced this one (the old copy is `superseded`).
    case reissued
    case voided
    /// A reason this software does not know: the ticket is revoked all the same.
    case unrecognized

    public static let vocabularyName = "revocation reason"
}

/// A revocation: issue versions up to and including `issueVersion` of the ticket no longer admit.
public struct Revocation: Sendable, Hashable {
    public var ticketID: UUID
    public var issueVersion: UInt32
    public var reason: RevocationReason

    public init(ticketID: UUID, issueVersion: UInt32, reason: RevocationReason) {
        self.ticketID = ticketID
        self.issueVersion = issueVersion
        self.reason = reason
    }

    /// Whether this revocation should replace `other` as the one kept for the ticket:
    /// a higher version wins; at the same version a final revocation wins over `reissued`.
    func supersedes(_ other: Revocation) -> Bool {
        if issueVersion != other.issueVersion { return issueVersion > other.issueVersion }
        return other.reason == .reissued && reason != .reissued
    }
}

/// Looks up the governing revocation of a ticket (the one with the highest issue version).
public protocol RevocationLookup {
    func revocation(of ticketID: UUID) -> Revocation?
}

/// An in-memory revocation list.
public struct RevocationList: RevocationLookup, Sendable {
    private var byTicket: [UUID: Revocation] = [:]

    public init(_ revocations: some Sequence<Revocation> = []) {
        for revocation in revocations { insert(revocation) }
    }

    public mutating func insert(_ revocation: Revocation) {
        if let existing = byTicket[revocation.ticketID], !revocation.supersedes(existing) { return }
        byTicket[revocation.ticketID] = revocation
    }

    public func revocation(of ticketID: UUID) -> Revocation? { byTicket[ticketID] }
}
