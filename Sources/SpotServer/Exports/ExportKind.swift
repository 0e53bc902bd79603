import Foundation

/// The lists an organizer downloads as CSV, for one event or for all of theirs. The raw value
/// is the last segment of the export's URL; `columns` is the file's header row. The formats are
/// documented in `docs/exports.md`.
enum ExportKind: String, CaseIterable, Sendable {
    case orders
    case attendees
    case checkIns = "check-ins"
    case doorSales = "door-sales"
    case conflicts
    case transactions

    var columns: [String] {
        switch self {
        case .orders:
            ["order_id", "created_at", "status", "event_id", "event_title", "buyer_name", "buyer_email", "items", "quantity",
             "total", "refunded", "currency", "paid_at"]
        case .attendees:
            ["ticket_id", "issued_at", "event_id", "event_title", "ticket_type", "holder_name", "holder_email", "order_id",
             "price", "currency", "status", "issue_version", "revoked_at", "revoked_reason", "checked_in"]
        case .checkIns:
            ["scan_id", "scanned_at", "event_id", "event_title", "ticket_id", "issue_version", "direction", "gate", "node_id",
             "node_name", "online", "verdict", "clock_skewed"]
        case .doorSales:
            ["sale_id", "recorded_at", "event_id", "event_title", "node_id", "node_name", "ticket_type", "quantity",
             "payment_method", "amount", "currency", "within_allotment", "ticket_ids"]
        case .conflicts:
            ["conflict_id", "created_at", "event_id", "event_title", "kind", "node_id", "node_name", "ticket_id", "scan_id",
             "sale_id", "admitted_scan_id", "resolved_at", "resolution_note"]
        case .transactions:
            ["transaction_id", "created_at", "kind", "event_id", "event_title", "order_id", "buyer_email", "amount",
             "currency", "gateway_reference"]
        }
    }

    /// Columns holding money in minor units, each with the column of its currency: the file
    /// shows them in major units (`12.50`), as the organizer's pages do.
    var amounts: [(amount: Int, currency: Int)] {
        switch self {
        case .orders: [(9, 11), (10, 11)]
        case .attendees: [(8, 9)]
        case .doorSales: [(9, 10)]
        case .transactions: [(7, 8)]
        case .checkIns, .conflicts: []
        }
    }

    /// The download's file name: `check-ins-<event id>.csv`, or `check-ins-all-events.csv`.
    func fileName(_ scope: ExportScope) -> String {
        switch scope {
        case .event(let id): "\(rawValue)-\(id.lowercasedText).csv"
        case .organizer: "\(rawValue)-all-events.csv"
        }
    }
}

/// Whose records an export holds.
enum ExportScope: Sendable, Equatable {
    /// One event's.
    case event(UUID)
    /// Every event of one organizer, event by event (by start time); transactions in the order they happened.
    case organizer(UUID)
}
