import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Reads the current state of the entities a node replicates, either by id (a page of
/// the change feed) or by event (a snapshot). The server always wins: a node takes
/// what is read here as the truth.
enum SyncEntities {
    /// Which rows to read.
    enum Scope {
        case ids([UUID])
        case events([UUID])

        var ids: [UUID]? {
            if case .ids(let ids) = self { return ids }
            return nil
        }

        var events: [UUID]? {
            if case .events(let events) = self { return events }
            return nil
        }
    }

    static func events(_ scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> [SyncEvent] {
        let rows = try await connection.query(
            """
            SELECT id, venue_id, title, starts_at, ends_at, status, reentry_policy FROM events
            WHERE (\(scope.ids)::uuid[] IS NULL OR id = ANY(\(scope.ids)))
              AND (\(scope.events)::uuid[] IS NULL OR id = ANY(\(scope.events)))
            ORDER BY starts_at, id
            """, logger: logger)
        var events: [SyncEvent] = []
        for try await (id, venue, title, starts, ends, status, reentry) in rows.decode(
            (UUID, UUID, String, Date, Date, String, ReentryPolicy).self)
        {
            events.append(SyncEvent(
                id: id, venueID: venue, title: title, startsAt: starts, endsAt: ends,
                status: status == "draft" ? .withdrawn : try SyncEventStatus.parse(status), reentryPolicy: reentry))
        }
        return events
    }

    static func ticketTypes(_ scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> [SyncTicketType] {
        let rows = try await connection.query(
            """
            SELECT id, event_id, name, price_minor, currency FROM ticket_types
            WHERE (\(scope.ids)::uuid[] IS NULL OR id = ANY(\(scope.ids)))
              AND (\(scope.events)::uuid[] IS NULL OR event_id = ANY(\(scope.events)))
            ORDER BY event_id, price_minor, id
            """, logger: logger)
        var types: [SyncTicketType] = []
        for try await (id, event, name, price, currency) in rows.decode((UUID, UUID, String, Int64, String).self) {
            types.append(SyncTicketType(id: id, eventID: event, name: name, priceMinor: price, currency: currency))
        }
        return types
    }

    /// Online and door-sold tickets, each with its governing revocation (highest issue
    /// version; at equal versions a final reason over `reissued`).
    static func tickets(_ scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> [SyncTicket] {
        let rows = try await connection.query(
            """
            SELECT t.id, t.event_id, t.ticket_type_id, t.issue_version, r.issue_version, r.reason
            FROM (
                SELECT id, event_id, ticket_type_id, issue_version FROM tickets
                WHERE (\(scope.ids)::uuid[] IS NULL OR id = ANY(\(scope.ids)))
                  AND (\(scope.events)::uuid[] IS NULL OR event_id = ANY(\(scope.events)))
                UNION ALL
                SELECT id, event_id, ticket_type_id, 1 FROM door_tickets
                WHERE (\(scope.ids)::uuid[] IS NULL OR id = ANY(\(scope.ids)))
                  AND (\(scope.events)::uuid[] IS NULL OR event_id = ANY(\(scope.events)))
            ) t
            LEFT JOIN (
                SELECT DISTINCT ON (ticket_id) ticket_id, issue_version, reason FROM revocations
                WHERE (\(scope.ids)::uuid[] IS NULL OR ticket_id = ANY(\(scope.ids)))
                  AND (\(scope.events)::uuid[] IS NULL OR event_id = ANY(\(scope.events)))
                ORDER BY ticket_id, issue_version DESC, (reason <> 'reissued') DESC
            ) r ON r.ticket_id = t.id
            ORDER BY t.id
            """, logger: logger)
        var tickets: [SyncTicket] = []
        for try await (id, event, type, version, revokedVersion, reason) in rows.decode(
            (UUID, UUID, UUID, Int32, Int32?, RevocationReason?).self)
        {
            tickets.append(SyncTicket(
                id: id, eventID: event, ticketTypeID: type, issueVersion: UInt32(max(1, version)),
                revokedVersion: revokedVersion.map { UInt32(max(1, $0)) }, revokedReason: reason))
        }
        return tickets
    }

    /// Accepted scans (the ones that decide whether a ticket is inside).
    static func scans(_ scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> [SyncScan] {
        let rows = try await connection.query(
            """
            SELECT id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, verdict FROM scans
            WHERE verdict = 'ok'
              AND (\(scope.ids)::uuid[] IS NULL OR id = ANY(\(scope.ids)))
              AND (\(scope.events)::uuid[] IS NULL OR event_id = ANY(\(scope.events)))
            ORDER BY hlc, node_id, id
            """, logger: logger)
        var scans: [SyncScan] = []
        for try await (id, ticket, version, event, direction, gate, node, hlc, verdict) in rows.decode(
            (UUID, UUID, Int32, UUID, ScanDirection, String, UUID, Int64, VerdictCode).self)
        {
            scans.append(SyncScan(
                id: id, ticketID: ticket, issueVersion: UInt32(max(1, version)), eventID: event, direction: direction,
                gate: gate, nodeID: node, hlc: HLCTimestamp(packed: UInt64(bitPattern: hlc)), verdict: verdict))
        }
        return scans
    }

    /// Conflicts with the details a door screen shows ("also admitted at gate B at 19:02",
    /// in the venue's time zone).
    static func conflicts(_ scope: Scope, on connection: PostgresConnection, logger: Logger) async throws -> [SyncConflict] {
        try await conflicts(ids: scope.ids, events: scope.events, facts: nil, on: connection, logger: logger)
    }

    /// Conflicts by id, by event, or about facts (scans or sales, by their ids).
    static func conflicts(
        ids: [UUID]?, events: [UUID]?, facts: [UUID]?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [SyncConflict] {
        let rows = try await connection.query(
            """
            SELECT c.id, c.kind, c.event_id, c.node_id, c.ticket_id, c.scan_id, c.sale_id, c.admitted_scan_id,
                   a.gate, a.node_id, a.hlc, c.created_at, v.time_zone,
                   (SELECT reason FROM revocations r WHERE r.ticket_id = c.ticket_id ORDER BY issue_version DESC LIMIT 1)
            FROM conflicts c JOIN events e ON e.id = c.event_id JOIN venues v ON v.id = e.venue_id
            LEFT JOIN scans a ON a.id = c.admitted_scan_id
            WHERE (\(ids)::uuid[] IS NULL OR c.id = ANY(\(ids)))
              AND (\(events)::uuid[] IS NULL OR c.event_id = ANY(\(events)))
              AND (\(facts)::uuid[] IS NULL OR c.scan_id = ANY(\(facts)) OR c.sale_id = ANY(\(facts)))
            ORDER BY c.created_at, c.id
            """, logger: logger)
        var conflicts: [SyncConflict] = []
        for try await row in rows.decode(
            (UUID, ConflictKind, UUID, UUID, UUID?, UUID?, UUID?, UUID?, String?, UUID?, Int64?, Date, String, String?).self)
        {
            let (id, kind, event, node, ticket, scan, sale, admittedScan, gate, admittedNode, hlc, created, zone, reason) = row
            let admittedAt = hlc.map { HLCTimestamp(packed: UInt64(bitPattern: $0)) }
            conflicts.append(SyncConflict(
                kind: kind, id: id, eventID: event, nodeID: node, ticketID: ticket, scanID: scan, saleID: sale,
                admittedScanID: admittedScan, admittedGate: gate, admittedNodeID: admittedNode, admittedHLC: admittedAt,
                message: message(kind: kind, gate: gate, at: admittedAt?.date, timeZone: zone, reason: reason),
                createdAt: created))
        }
        return conflicts
    }

    /// The sentence the organizer and the door screen see.
    static func message(kind: ConflictKind, gate: String?, at: Date?, timeZone: String, reason: String?) -> String {
        switch kind {
        case .duplicateAdmission:
            var style = Date.FormatStyle(date: .omitted, time: .shortened)
            style.timeZone = TimeZone(identifier: timeZone) ?? .gmt
            style.locale = Locale(identifier: "en_GB")
            let when = at.map { " at \($0.formatted(style))" } ?? ""
            return "Also admitted at gate \(gate ?? "?")\(when): that earlier scan is the admission."
        case .admittedAfterRevocation:
            return "Admitted offline after the ticket was \(reason ?? "revoked") centrally."
        case .saleForCancelledEvent:
            return "Sold at the door after the event was cancelled: refund the buyer."
        case .saleBeyondAllotment:
            return "Sold at the door beyond the node's allotment."
        }
    }
}
