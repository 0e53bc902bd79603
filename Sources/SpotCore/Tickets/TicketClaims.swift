import Foundation

/// What a ticket asserts, before signing (`SyncProtocol/tickets.md` §2).
public struct TicketClaims: Sendable, Hashable {
    /// How long after its event ends a ticket stays valid — sold online or at the door — and
    /// so how long the key that signed it must keep verifying.
    public static let validityAfterEventEnd: TimeInterval = 12 * 3600

    public var ticketID: UUID
    public var eventID: UUID
    public var ticketTypeID: UUID
    /// Starts at 1; a re-issued ticket gets the next version and the old one is revoked.
    public var issueVersion: UInt32
    /// First instant the ticket admits (inclusive), whole seconds.
    public var validFrom: Date?
    /// First instant the ticket no longer admits (exclusive), whole seconds.
    public var validUntil: Date?

    public init(
        ticketID: UUID, eventID: UUID, ticketTypeID: UUID, issueVersion: UInt32 = 1,
        validFrom: Date? = nil, validUntil: Date? = nil
    ) {
        self.ticketID = ticketID
        self.eventID = eventID
        self.ticketTypeID = ticketTypeID
        self.issueVersion = issueVersion
        self.validFrom = validFrom.map(Self.wholeSeconds)
        self.validUntil = validUntil.map(Self.wholeSeconds)
    }

    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
