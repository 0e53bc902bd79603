import Foundation
import SpotSync

/// An organizer profile. Unverified organizers can draft; an admin's verification lets them publish.
package struct Organizer: Codable, Sendable, Equatable {
    @LowercaseUUID package var id: UUID
    @LowercaseUUID var userID: UUID
    let name: String
    let description: String
    let contactEmail: String?
    let website: String?
    let verified: Bool
    let verifiedAt: Date?
    let createdAt: Date
    let updatedAt: Date
}
