import Foundation
import SpotSync

/// An event's doors as they stand: admitted against sold, admissions a minute, each gate and
/// each door (node, or online) with its sync health, door sales and open conflicts. Served as
/// JSON, streamed live (``DoorDashboardStream``) and shown on the organizer's live page.
struct DoorDashboard: Codable, Sendable, Equatable {
    @LowercaseUUID var eventID: UUID
    let eventTitle: String
    /// Valid tickets sold online and tickets sold at the doors.
    let sold: Int
    /// Tickets admitted at least once (an accepted entry).
    let admitted: Int
    /// Admissions in each of the last ``minutes`` minutes, oldest first (by the scanning door's clock).
    let perMinute: [Minute]
    let gates: [Gate]
    /// The online check-in door first, then the venue's active nodes by name.
    let doors: [Door]
    let doorSales: DoorSales
    let openConflicts: Int

    /// Minutes ``perMinute`` covers.
    static let minutes = 15

    struct Minute: Codable, Sendable, Equatable {
        let startsAt: Date
        let admitted: Int
    }

    struct Gate: Codable, Sendable, Equatable {
        let gate: String
        let admitted: Int
        let refused: Int
    }

    struct Door: Codable, Sendable, Equatable {
        /// The node's id; the all-zero id for online check-ins.
        @LowercaseUUID var nodeID: UUID
        let name: String
        let online: Bool
        let admitted: Int
        let refused: Int
        let doorSales: Int
        /// Nil for the online door.
        let sync: SyncHealth?
    }

    /// What the server last heard from a node. `lastSeenAt` is written at most once a minute
    /// while nothing changes, so a node is ``Health/inTouch`` while heard within ``inTouchWithin``.
    struct SyncHealth: Codable, Sendable, Equatable {
        enum Health: String, Codable, Sendable {
            case inTouch = "in_touch"
            case silent
            case never
        }
        let health: Health
        let lastSeenAt: Date?
        let lastPushAt: Date?
        /// Mutations the node said were waiting to be pushed, at its last contact.
        let outboxDepth: Int?
        let protocolVersion: Int?
        let clockSkewed: Bool

        static let inTouchWithin: TimeInterval = 180

        init(lastSeenAt: Date?, lastPushAt: Date?, outboxDepth: Int?, protocolVersion: Int?, clockSkewed: Bool, now: Date) {
            health = lastSeenAt.map { now.timeIntervalSince($0) <= Self.inTouchWithin ? .inTouch : .silent } ?? .never
            self.lastSeenAt = lastSeenAt
            self.lastPushAt = lastPushAt
            self.outboxDepth = outboxDepth
            self.protocolVersion = protocolVersion
            self.clockSkewed = clockSkewed
        }
    }

    struct DoorSales: Codable, Sendable, Equatable {
        let sales: Int
        let tickets: Int
        /// Taken at the doors, per currency.
        let amounts: [Amount]
    }

    struct Amount: Codable, Sendable, Equatable {
        let currency: String
        let amountMinor: Int64
    }
}
