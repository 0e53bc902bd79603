import Foundation
import Logging
import PostgresNIO

/// Reads an event's ``DoorDashboard`` in five queries on one connection (the scans are
/// aggregated by gate and by door in one pass).
struct DoorDashboardRepository: Sendable {
    let database: Database

    func dashboard(of event: Event, now: Date, logger: Logger) async throws -> DoorDashboard {
        try await database.withConnection(logger: logger) { connection in
            var (sold, admitted, openConflicts) = (0, 0, 0)
            let counts = try await connection.query(
                """
                SELECT (SELECT count(*) FROM tickets WHERE event_id = \(event.id) AND status = 'valid')::int
                       + (SELECT count(*) FROM door_tickets WHERE event_id = \(event.id))::int,
                       (SELECT count(DISTINCT ticket_id) FROM scans
                        WHERE event_id = \(event.id) AND verdict = 'ok' AND direction = 'entry')::int,
                       (SELECT count(*) FROM conflicts WHERE event_id = \(event.id) AND resolved_at IS NULL)::int
                """, logger: logger)
            for try await row in counts.decode((Int, Int, Int).self) { (sold, admitted, openConflicts) = row }

            let currentMinute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
            let since = currentMinute.addingTimeInterval(-Double(DoorDashboard.minutes - 1) * 60)
            var byMinute: [Int64: Int] = [:]
            let minutes = try await connection.query(
                """
                SELECT extract(epoch FROM date_trunc('minute', scanned_at))::bigint, count(*)::int FROM scans
                WHERE event_id = \(event.id) AND verdict = 'ok' AND direction = 'entry'
                  AND scanned_at >= \(since) AND scanned_at <= \(now)
                GROUP BY 1
                """, logger: logger)
            for try await (minute, count) in minutes.decode((Int64, Int).self) { byMinute[minute] = count }
            let perMinute = (0..<DoorDashboard.minutes).map { index in
                let start = since.addingTimeInterval(Double(index) * 60)
                return DoorDashboard.Minute(startsAt: start, admitted: byMinute[Int64(start.timeIntervalSince1970)] ?? 0)
            }

            var gates: [DoorDashboard.Gate] = []
            var scansByNode: [UUID: (admitted: Int, refused: Int)] = [:]
            let scans = try await connection.query(
                """
                SELECT gate, node_id, count(*) FILTER (WHERE verdict = 'ok' AND direction = 'entry')::int,
                       count(*) FILTER (WHERE verdict <> 'ok')::int
                FROM scans WHERE event_id = \(event.id)
                GROUP BY GROUPING SETS ((gate), (node_id)) ORDER BY gate, node_id
                """, logger: logger)
            for try await (gate, node, admitted, refused) in scans.decode((String?, UUID?, Int, Int).self) {
                if let gate { gates.append(.init(gate: gate, admitted: admitted, refused: refused)) }
                if let node { scansByNode[node] = (admitted, refused) }
            }

            var salesByNode: [UUID: Int] = [:]
            var sales = 0, tickets = 0
            var amounts: [DoorDashboard.Amount] = []
            let doorSales = try await connection.query(
                """
                SELECT node_id, currency, count(*)::int, sum(quantity)::int, sum(amount_minor)::bigint FROM door_sales
                WHERE event_id = \(event.id) GROUP BY node_id, currency ORDER BY currency
                """, logger: logger)
            for try await (node, currency, count, quantity, amount) in doorSales.decode((UUID, String, Int, Int, Int64).self) {
                salesByNode[node, default: 0] += count
                sales += count
                tickets += quantity
                if let index = amounts.firstIndex(where: { $0.currency == currency }) {
                    amounts[index] = .init(currency: currency, amountMinor: amounts[index].amountMinor + amount)
                } else {
                    amounts.append(.init(currency: currency, amountMinor: amount))
                }
            }

            let online = scansByNode[CheckInService.serverNodeID]
            var doors = [DoorDashboard.Door(
                nodeID: CheckInService.serverNodeID, name: "Online check-in", online: true, admitted: online?.admitted ?? 0,
                refused: online?.refused ?? 0, doorSales: 0, sync: nil)]
            let nodes = try await connection.query(
                """
                SELECT id, name, status, last_seen_at, last_push_at, outbox_depth, protocol_version, clock_skewed FROM nodes
                WHERE venue_id = \(event.venueID) ORDER BY name, id
                """, logger: logger)
            for try await (id, name, status, seen, pushed, outbox, version, skewed) in nodes.decode(
                (UUID, String, String, Date?, Date?, Int?, Int?, Bool).self)
            {
                let counted = scansByNode[id]
                // A revoked node stays on the board only for what it did at this event.
                guard status == "active" || counted != nil || salesByNode[id] != nil else { continue }
                doors.append(.init(
                    nodeID: id, name: name, online: false, admitted: counted?.admitted ?? 0, refused: counted?.refused ?? 0,
                    doorSales: salesByNode[id] ?? 0,
                    sync: .init(
                        lastSeenAt: seen, lastPushAt: pushed, outboxDepth: outbox, protocolVersion: version, clockSkewed: skewed,
                        now: now)))
            }
            return DoorDashboard(
                eventID: event.id, eventTitle: event.title, sold: sold, admitted: admitted, perMinute: perMinute, gates: gates,
                doors: doors, doorSales: .init(sales: sales, tickets: tickets, amounts: amounts), openConflicts: openConflicts)
        }
    }
}
