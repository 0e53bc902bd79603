import Foundation
import Logging
import PostgresNIO

/// The rows of a CSV export, read oldest first in pages keyed by (time, id) — ``ListCursor``
/// ascending — so an export of any size holds one page in memory and no connection between
/// pages. Every cell is text, as the file shows it: times in UTC (ISO 8601, milliseconds),
/// booleans `true`/`false`, money in minor units (``ExportKind/amounts`` says which).
struct ExportRepository: Sendable {
    let database: Database

    /// Rows read per query.
    static let pageSize = 1_000

    struct Page: Sendable {
        let rows: [[String]]
        /// Where the next page starts; nil after the last.
        let next: ListCursor?
    }

    /// Whose rows a page reads: one event's, or (for transactions) all of an organizer's.
    enum Source: Sendable {
        case event(UUID)
        case organizer(UUID)
    }

    /// An organizer's events, in the order an organizer-wide export walks them.
    func events(of organizer: UUID, logger: Logger) async throws -> [UUID] {
        let rows = try await database.query(
            "SELECT id FROM events WHERE organizer_id = \(organizer) ORDER BY starts_at, id", logger: logger)
        var events: [UUID] = []
        for try await id in rows.decode(UUID.self) { events.append(id) }
        return events
    }

    /// Up to ``pageSize`` rows of `kind` from `source` after `cursor`, oldest first.
    func page(_ kind: ExportKind, from source: Source, after cursor: ListCursor?, logger: Logger) async throws -> Page {
        let (event, organizer): (UUID?, UUID?) = switch source {
        case .event(let id): (id, nil)
        case .organizer(let id): (nil, id)
        }
        let after = (micros: cursor?.micros, id: cursor?.id)
        let query: PostgresQuery = switch kind {
        case .orders:
            """
            SELECT \(unescaped: Self.micros("b.created_at")), b.id,
                   b.id::text, \(unescaped: Self.time("b.created_at")), b.status, e.id::text, e.title, u.display_name, u.email,
                   coalesce((SELECT string_agg(i.quantity || ' × ' || t.name, '; ' ORDER BY t.name, t.id)
                             FROM booking_items i JOIN ticket_types t ON t.id = i.ticket_type_id WHERE i.booking_id = b.id), ''),
                   b.quantity::text, b.total_minor::text, b.refunded_minor::text, b.currency, \(unescaped: Self.time("b.paid_at"))
            FROM bookings b JOIN events e ON e.id = b.event_id JOIN users u ON u.id = b.user_id
            WHERE b.event_id = \(event)
              AND (\(after.micros)::bigint IS NULL OR (b.created_at, b.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY b.created_at, b.id LIMIT \(Self.pageSize + 1)
            """
        case .attendees:
            """
            SELECT \(unescaped: Self.micros("t.issued_at")), t.id,
                   t.id::text, \(unescaped: Self.time("t.issued_at")), e.id::text, e.title, y.name, u.display_name, u.email,
                   t.booking_id::text, t.price_minor::text, y.currency, t.status, t.issue_version::text,
                   \(unescaped: Self.time("t.revoked_at")), coalesce(t.revoked_reason, ''),
                   (EXISTS (SELECT 1 FROM scans s WHERE s.ticket_id = t.id AND s.verdict = 'ok' AND s.direction = 'entry'))::text
            FROM tickets t JOIN events e ON e.id = t.event_id JOIN ticket_types y ON y.id = t.ticket_type_id
                 JOIN users u ON u.id = t.owner_user_id
            WHERE t.event_id = \(event)
              AND (\(after.micros)::bigint IS NULL OR (t.issued_at, t.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY t.issued_at, t.id LIMIT \(Self.pageSize + 1)
            """
        case .checkIns:
            """
            SELECT \(unescaped: Self.micros("s.scanned_at")), s.id,
                   s.id::text, \(unescaped: Self.time("s.scanned_at")), e.id::text, e.title, s.ticket_id::text,
                   s.issue_version::text, s.direction, s.gate, s.node_id::text, coalesce(n.name, ''),
                   (s.node_id = \(CheckInService.serverNodeID))::text, s.verdict, s.clock_skewed::text
            FROM scans s JOIN events e ON e.id = s.event_id LEFT JOIN nodes n ON n.id = s.node_id
            WHERE s.event_id = \(event)
              AND (\(after.micros)::bigint IS NULL OR (s.scanned_at, s.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY s.scanned_at, s.id LIMIT \(Self.pageSize + 1)
            """
        case .doorSales:
            """
            SELECT \(unescaped: Self.micros("d.recorded_at")), d.id,
                   d.id::text, \(unescaped: Self.time("d.recorded_at")), e.id::text, e.title, d.node_id::text, n.name, y.name,
                   d.quantity::text, d.payment_method, d.amount_minor::text, d.currency, d.within_allotment::text,
                   coalesce((SELECT string_agg(k.id::text, ' ' ORDER BY k.id) FROM door_tickets k WHERE k.sale_id = d.id), '')
            FROM door_sales d JOIN events e ON e.id = d.event_id JOIN nodes n ON n.id = d.node_id
                 JOIN ticket_types y ON y.id = d.ticket_type_id
            WHERE d.event_id = \(event)
              AND (\(after.micros)::bigint IS NULL OR (d.recorded_at, d.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY d.recorded_at, d.id LIMIT \(Self.pageSize + 1)
            """
        case .conflicts:
            """
            SELECT \(unescaped: Self.micros("c.created_at")), c.id,
                   c.id::text, \(unescaped: Self.time("c.created_at")), e.id::text, e.title, c.kind, c.node_id::text,
                   coalesce(n.name, ''), coalesce(c.ticket_id::text, ''), coalesce(c.scan_id::text, ''),
                   coalesce(c.sale_id::text, ''), coalesce(c.admitted_scan_id::text, ''), \(unescaped: Self.time("c.resolved_at")),
                   coalesce(c.resolution_note, '')
            FROM conflicts c JOIN events e ON e.id = c.event_id LEFT JOIN nodes n ON n.id = c.node_id
            WHERE c.event_id = \(event)
              AND (\(after.micros)::bigint IS NULL OR (c.created_at, c.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY c.created_at, c.id LIMIT \(Self.pageSize + 1)
            """
        case .transactions:
            """
            SELECT \(unescaped: Self.micros("p.created_at")), p.id,
                   p.id::text, \(unescaped: Self.time("p.created_at")), p.kind, e.id::text, e.title, p.booking_id::text, u.email,
                   p.amount_minor::text, p.currency, p.gateway_reference
            FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id JOIN events e ON e.id = b.event_id
                 JOIN users u ON u.id = p.user_id
            WHERE (\(event)::uuid IS NULL OR b.event_id = \(event)) AND (\(organizer)::uuid IS NULL OR p.organizer_id = \(organizer))
              AND (\(after.micros)::bigint IS NULL OR (p.created_at, p.id) > (timestamptz 'epoch' + \(after.micros)::bigint * interval '1 microsecond', \(after.id)))
            ORDER BY p.created_at, p.id LIMIT \(Self.pageSize + 1)
            """
        }
        let rows = try await database.query(query, logger: logger)
        var read: [(row: [String], cursor: ListCursor)] = []
        read.reserveCapacity(Self.pageSize + 1)
        for try await row in rows {
            let cells = row.makeRandomAccess()
            var fields: [String] = []
            fields.reserveCapacity(cells.count - 2)
            for index in 2..<cells.count { fields.append(try cells[index].decode(String?.self) ?? "") }
            read.append((fields, ListCursor(micros: try cells[0].decode(Int64.self), id: try cells[1].decode(UUID.self))))
        }
        let shown = read.prefix(Self.pageSize)
        return Page(rows: shown.map(\.row), next: read.count > shown.count ? shown.last?.cursor : nil)
    }

    /// A row's time in microseconds since 1970, its cursor's first half.
    private static func micros(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    /// A time as the file shows it (empty when null): `2026-11-30T19:02:03.456Z`.
    private static func time(_ column: String) -> String {
        #"coalesce(to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')"#
    }
}
