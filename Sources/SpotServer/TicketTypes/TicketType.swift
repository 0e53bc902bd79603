import Foundation
import SpotSync

/// Something sold for an event: a price in minor units of a currency, a capacity, a sales window.
struct TicketType: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    @LowercaseUUID var eventID: UUID
    let name: String
    let priceMinor: Int64
    /// ISO 4217, e.g. `EUR`.
    let currency: String
    let capacity: Int
    let salesStart: Date?
    let salesEnd: Date?
    let createdAt: Date
    let updatedAt: Date
}
