import Foundation
import SpotSync

/// An event as the API shows it, with its venue and price range.
package struct Event: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case draft, published, cancelled

        /// A status read from the database: one this server does not know is refused, never defaulted.
        init(stored: String) throws {
            guard let status = Status(rawValue: stored) else {
                throw InternalInconsistency("an event's status '\(stored)' is unknown to this server")
            }
            self = status
        }
    }

    struct VenueSummary: Codable, Sendable, Equatable {
        let name: String
        let city: String
        let timeZone: String
    }

    struct PriceRange: Codable, Sendable, Equatable {
        let minMinor: Int64
        let maxMinor: Int64
        /// ISO 4217 currency of the event's ticket types.
        let currency: String
    }

    @LowercaseUUID var id: UUID
    @LowercaseUUID var organizerID: UUID
    @LowercaseUUID var venueID: UUID
    let category: String
    let title: String
    let description: String
    let startsAt: Date
    let endsAt: Date
    let reentryPolicy: String
    let status: Status
    let publishedAt: Date?
    let cancelledAt: Date?
    let createdAt: Date
    let updatedAt: Date
    let venue: VenueSummary
    /// Cheapest and dearest ticket type, in minor units; absent without ticket types.
    let priceRange: PriceRange?
}

/// A category events are filed under (seeded).
struct Category: Codable, Sendable, Equatable {
    let id: String
    let name: String
}
