import Foundation

/// What a `NOTIFY hvflvspot_sync` says (migrations 11 and 20): a venue's change feed grew, the
/// state its nodes hold besides the feed (allotments, certificates, keys, node status) changed,
/// or one of its nodes' status or device credentials changed.
enum SyncSignal: Equatable, Sendable {
    case feed(venue: UUID)
    case state(venue: UUID)
    /// A node of the venue was revoked or re-activated, or a device credential of one was
    /// changed or removed: what ``NodeCredentialCache`` keeps for the venue is stale.
    case nodes(venue: UUID)

    /// The PostgreSQL channel the triggers notify.
    static let channel = "hvflvspot_sync"

    /// Parses `feed:<uuid>`, `state:<uuid>` or `nodes:<uuid>`; anything else is nil (and ignored).
    init?(payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let venue = UUID(uuidString: String(parts[1])) else { return nil }
        switch parts[0] {
        case "feed": self = .feed(venue: venue)
        case "state": self = .state(venue: venue)
        case "nodes": self = .nodes(venue: venue)
        default: return nil
        }
    }

    var venue: UUID {
        switch self {
        case .feed(let venue), .state(let venue), .nodes(let venue): venue
        }
    }
}
