import Foundation
import SpotSync

/// An event's waiting room: from `opensAt`, buyers join a line and are let in at
/// `admitPerMinute`, first come first served; each one let in may book for `passMinutes`.
struct WaitingRoom: Codable, Sendable, Equatable {
    @LowercaseUUID var eventID: UUID
    let opensAt: Date
    let admitPerMinute: Int
    let passMinutes: Int
    /// Buyers in line now.
    let waiting: Int
    /// Buyers let in so far.
    let admitted: Int
}

/// A buyer's place in a waiting room, as they see it.
struct WaitingRoomEntry: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        /// In line.
        case waiting
        /// Let in: `pass` books until `passExpiresAt`.
        case admitted
        /// Let in, but the pass has expired: joining again queues at the back.
        case expired
    }

    @LowercaseUUID var eventID: UUID
    let status: Status
    /// Place in line among those still waiting (1: next), while waiting.
    let position: Int?
    /// About how long until this buyer is let in, at the room's rate, while waiting.
    let estimatedWaitSeconds: Int?
    let joinedAt: Date
    let admittedAt: Date?
    /// The pass to send as `Waiting-Room-Pass` with `POST /api/v1/bookings`, while admitted.
    let pass: String?
    let passExpiresAt: Date?
}
