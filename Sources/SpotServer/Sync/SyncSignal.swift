import Foundation

/// What a `NOTIFY hvflvspot_sync` says (migration 11): a venue's change feed grew, or the
/// state its nodes hold besides the feed (allotments, certificates, keys, node status) changed.
enum SyncSignal: Equatable, Sendable {
    case feed(venue: UUID)
    case state(venue: UUID)

    /// The PostgreSQL channel the triggers notify.
    static let channel = "hvflvspot_sync"

    /// Parses `feed:<uuid>` or `state:<uuid>`; anything else is nil (and ignored).
    init?(payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let venue = UUID(uuidString: String(parts[1])) else { return nil }
        switch parts[0] {
        case "feed": self = .feed(venue: venue)
        case "state": self = .state(venue: venue)
        default: return nil
        }
    }

    var venue: UUID {
        switch self {
        case .feed(let venue), .state(let venue): venue
        }
    }
}
