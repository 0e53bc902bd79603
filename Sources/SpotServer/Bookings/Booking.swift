import Foundation
import SpotSync

/// A booking: seats held while the buyer pays, then paid (with tickets), or cancelled,
/// expired, refunded.
struct Booking: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case held, paid, cancelled, refunded, expired
    }

    struct Item: Codable, Sendable, Equatable {
        @LowercaseUUID var ticketTypeID: UUID
        let name: String
        let quantity: Int
        let unitPriceMinor: Int64
    }

    @LowercaseUUID var id: UUID
    @LowercaseUUID var userID: UUID
    @LowercaseUUID var eventID: UUID
    let status: Status
    let items: [Item]
    let quantity: Int
    let totalMinor: Int64
    let refundedMinor: Int64
    let currency: String
    /// When an unpaid hold is released.
    let expiresAt: Date?
    let paidAt: Date?
    let createdAt: Date
    /// The booking's tickets (paid bookings).
    var tickets: [Ticket]
}
