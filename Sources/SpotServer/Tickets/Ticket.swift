import Foundation
import SpotSync

/// An issued ticket as its holder sees it: the payload is the QR code's text.
struct Ticket: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    @LowercaseUUID var bookingID: UUID
    @LowercaseUUID var eventID: UUID
    @LowercaseUUID var ticketTypeID: UUID
    let ticketTypeName: String
    let eventTitle: String
    let startsAt: Date
    let venueName: String
    let priceMinor: Int64
    let currency: String
    let issueVersion: Int
    let keyID: String
    let payload: String
    /// `valid` or `revoked`.
    let status: String
    let revokedReason: String?
    let issuedAt: Date
}
