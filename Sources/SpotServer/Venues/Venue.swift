import Foundation
import SpotCore
import SpotSync

/// A place events happen; owned by one organizer.
struct Venue: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    @LowercaseUUID var organizerID: UUID
    let name: String
    let city: String
    let address: String
    /// An IANA time zone, e.g. `Europe/Berlin`.
    let timeZone: String
    /// What the venue's door kiosks do when their node stops answering.
    let kioskFailover: KioskFailover
    let createdAt: Date
    let updatedAt: Date
}
