import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// An event's check-ins, door sales and conflicts, listed newest first with keyset cursors
/// (``ListCursor``) and filters, for its organizer.
struct EventRecordsRepository: Sendable {
    let database: Database

    struct CheckInFilter: Sendable {
        var gate: String?
        var node: UUID?
        var verdict: VerdictCode?
        var direction: ScanDirection?
        var from: Date?
        var until: Date?
        var ticket: UUID?
    }

    func checkIns(
        event: UUID, filter: CheckInFilter, after cursor: ListCursor?, limit: Int, logger: Logger
    ) async throws -> RecordPage<CheckInRecord> {
        let rows = try await database.query(
            """
            SELECT s.id, s.ticket_id, s.issue_version, s.direction, s.gate, s.node_id, n.name, s.verdict, s.scanned_at,
                   (extract(epoch FROM s.scanned_at) * 1000000)::bigint
            FROM scans s LEFT JOIN nodes n ON n.id = s.node_id
            WHERE s.event_id = \(event)
              AND (\(filter.gate)::text IS NULL OR s.gate = \(filter.gate))
              AND (\(filter.node)::uuid IS NULL OR s.node_id = \(filter.node))
              AND (\(filter.verdict?.rawValue)::text IS NULL OR s.verdict = \(filter.verdict?.rawValue))
              AND (\(filter.direction?.rawValue)::text IS NULL OR s.direction = \(filter.direction?.rawValue))
              AND (\(filter.from)::timestamptz IS NULL OR s.scanned_at >= \(filter.from))
              AND (\(filter.until)::timestamptz IS NULL OR s.scanned_at < \(filter.until))
              AND (\(filter.ticket)::uuid IS NULL OR s.ticket_id = \(filter.ticket))
              AND (\(cursor?.micros)::bigint IS NULL
                   OR (s.scanned_at, s.id) < (timestamptz 'epoch' + \(cursor?.micros)::bigint * interval '1 microsecond', \(cursor?.id)))
            ORDER BY s.scanned_at DESC, s.id DESC
            LIMIT \(limit + 1)
            """, logger: logger)
        var read: [(item: CheckInRecord, cursor: ListCursor)] = []
        for try await (id, ticket, version, direction, gate, node, name, verdict, scannedAt, micros) in rows.decode(
            (UUID, UUID, Int, ScanDirection, String, UUID, String?, VerdictCode, Date, Int64).self)
        {
            read.append((
                CheckInRecord(
                    id: id, ticketID: ticket, issueVersion: version, direction: direction, gate: gate, nodeID: node,
                    nodeName: name, online: node == CheckInService.serverNodeID, verdict: verdict, scannedAt: scannedAt),
                ListCursor(micros: micros, id: id)))
        }
        return RecordPage(rows: read, limit: limit)
    }

    struct DoorSaleFilter: Sendable {
        var node: UUID?
        var from: Date?
        var until: Date?
        var ticket: UUID?
    }

    func doorSales(
        event: UUID, filter: DoorSaleFilter, after cursor: ListCursor?, limit: Int, logger: Logger
    ) async throws -> RecordPage<DoorSaleRecord> {
        let rows = try await database.query(
            """
            SELECT d.id, d.node_id, n.name, d.ticket_type_id, t.name, d.quantity, d.payment_method, d.amount_minor, d.currency,
                   d.within_allotment, d.recorded_at, (extract(epoch FROM d.recorded_at) * 1000000)::bigint,
                   coalesce((SELECT string_agg(k.id::text, ',' ORDER BY k.id) FROM door_tickets k WHERE k.sale_id = d.id), '')
            FROM door_sales d JOIN nodes n ON n.id = d.node_id JOIN ticket_types t ON t.id = d.ticket_type_id
            WHERE d.event_id = \(event)
              AND (\(filter.node)::uuid IS NULL OR d.node_id = \(filter.node))
              AND (\(filter.from)::timestamptz IS NULL OR d.recorded_at >= \(filter.from))
              AND (\(filter.until)::timestamptz IS NULL OR d.recorded_at < \(filter.until))
              AND (\(filter.ticket)::uuid IS NULL
                   OR EXISTS (SELECT 1 FROM door_tickets k WHERE k.sale_id = d.id AND k.id = \(filter.ticket)))
              AND (\(cursor?.micros)::bigint IS NULL
                   OR (d.recorded_at, d.id) < (timestamptz 'epoch' + \(cursor?.micros)::bigint * interval '1 microsecond', \(cursor?.id)))
            ORDER BY d.recorded_at DESC, d.id DESC
            LIMIT \(limit + 1)
            """, logger: logger)
        var read: [(item: DoorSaleRecord, cursor: ListCursor)] = []
        for try await (id, node, nodeName, type, typeName, quantity, method, amount, currency, within, recordedAt, micros, tickets)
            in rows.decode((UUID, UUID, String, UUID, String, Int, PaymentMethod, Int64, String, Bool, Date, Int64, String).self)
        {
            read.append((
                DoorSaleRecord(
                    id: id, nodeID: node, nodeName: nodeName, ticketTypeID: type, ticketTypeName: typeName, quantity: quantity,
                    paymentMethod: method, amountMinor: amount, currency: currency, withinAllotment: within,
                    recordedAt: recordedAt, ticketIDs: tickets.split(separator: ",").map(String.init)),
                ListCursor(micros: micros, id: id)))
        }
        return RecordPage(rows: read, limit: limit)
    }

    struct ConflictFilter: Sendable {
        var kind: ConflictKind?
        var node: UUID?
        var resolved: Bool?
        var from: Date?
        var until: Date?
        var ticket: UUID?
    }

    /// The event's conflicts, as nodes see them (``SyncConflict``).
    func conflicts(
        event: UUID, filter: ConflictFilter, after cursor: ListCursor?, limit: Int, logger: Logger
    ) async throws -> RecordPage<SyncConflict> {
        try await database.withConnection(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT c.id, (extract(epoch FROM c.created_at) * 1000000)::bigint FROM conflicts c
                WHERE c.event_id = \(event)
                  AND (\(filter.kind?.rawValue)::text IS NULL OR c.kind = \(filter.kind?.rawValue))
                  AND (\(filter.node)::uuid IS NULL OR c.node_id = \(filter.node))
                  AND (\(filter.resolved)::boolean IS NULL OR (c.resolved_at IS NOT NULL) = \(filter.resolved))
                  AND (\(filter.from)::timestamptz IS NULL OR c.created_at >= \(filter.from))
                  AND (\(filter.until)::timestamptz IS NULL OR c.created_at < \(filter.until))
                  AND (\(filter.ticket)::uuid IS NULL OR c.ticket_id = \(filter.ticket))
                  AND (\(cursor?.micros)::bigint IS NULL
                       OR (c.created_at, c.id) < (timestamptz 'epoch' + \(cursor?.micros)::bigint * interval '1 microsecond', \(cursor?.id)))
                ORDER BY c.created_at DESC, c.id DESC
                LIMIT \(limit + 1)
                """, logger: logger)
            var read: [(item: UUID, cursor: ListCursor)] = []
            for try await (id, micros) in rows.decode((UUID, Int64).self) { read.append((id, ListCursor(micros: micros, id: id))) }
            let page = RecordPage(rows: read, limit: limit)
            let entities = try await SyncEntities.conflicts(ids: page.items, events: nil, facts: nil, on: connection, logger: logger)
            let byID = Dictionary(uniqueKeysWithValues: entities.map { ($0.id, $0) })
            return RecordPage(items: page.items.compactMap { byID[$0] }, nextCursor: page.nextCursor)
        }
    }
}
