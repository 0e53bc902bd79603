import Foundation
import SpotSync
import Hummingbird
import Logging
import PostgresNIO

/// `/api/v1/organizers/me/statistics`: sales, revenue and refunds by ticket type and by
/// day; check-ins by gate and by hour — for all the organizer's events or one of them.
/// Days and hours are in the event's venue time zone (or `time_zone`).
struct StatisticsController: Sendable {
    let database: Database
    let organizers: OrganizerRepository
    let timeZones: TimeZoneCatalog

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("organizers/me/statistics", use: statistics)
    }

    struct ByTicketType: Codable, Sendable {
        @LowercaseUUID var ticketTypeID: UUID
        @LowercaseUUID var eventID: UUID
        let name: String
        let capacity: Int
        let sold: Int
        let refunded: Int
        let revenueMinor: Int64
        let refundedMinor: Int64
    }

    struct ByDay: Codable, Sendable {
        let day: String
        let sold: Int
        let revenueMinor: Int64
        let refundedMinor: Int64
    }

    struct CheckIns: Codable, Sendable {
        struct Gate: Codable, Sendable {
            let gate: String
            let admitted: Int
            let refused: Int
        }
        struct Hour: Codable, Sendable {
            let hour: String
            let admitted: Int
        }
        let byGate: [Gate]
        let byHour: [Hour]
    }

    /// Sales at venue nodes' doors, as pushed by the nodes.
    struct DoorSales: Codable, Sendable {
        let sales: Int
        let tickets: Int
        let amountMinor: Int64
    }

    /// Conflicts raised by nodes' offline facts, by kind.
    struct ConflictCount: Codable, Sendable {
        let kind: String
        let count: Int
    }

    struct Statistics: ResponseEncodable {
        let timeZone: String
        let byTicketType: [ByTicketType]
        let byDay: [ByDay]
        let checkIns: CheckIns
        let doorSales: DoorSales
        let conflicts: [ConflictCount]
    }

    @Sendable func statistics(_ request: Request, context: AppRequestContext) async throws -> Statistics {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        let query = request.uri.queryParameters
        var event: UUID?
        if let text = query["event_id"] {
            guard let id = UUID(uuidString: String(text)) else { throw DomainError.validation("event_id", "must be a UUID") }
            event = id
        }
        let zone = query["time_zone"].map(String.init)
        if let zone, let problem = timeZones.problem(zone) { throw DomainError.validation("time_zone", problem) }
        return try await report(organizer: organizer.id, event: event, timeZone: zone, logger: context.logger)
    }

    /// The statistics of an organizer's events (or one of them), days counted in `timeZone`
    /// (default: the event's venue's, else UTC). 404 if `event` is not the organizer's.
    func report(organizer organizerID: UUID, event: UUID?, timeZone requested: String?, logger: Logger) async throws -> Statistics {
        var zone = requested
        if zone == nil, let event {
            let rows = try await database.query(
                """
                SELECT v.time_zone FROM events e JOIN venues v ON v.id = e.venue_id
                WHERE e.id = \(event) AND e.organizer_id = \(organizerID)
                """, logger: logger)
            for try await value in rows.decode(String.self) { zone = value }
            guard zone != nil else { throw DomainError.notFound("Event") }
        }
        let timeZone = zone ?? "UTC"

        let typeRows = try await database.query(
            """
            SELECT tt.id, tt.event_id, tt.name, tt.capacity,
                   count(t.id)::int, count(t.id) FILTER (WHERE t.revoked_reason IN ('refunded', 'cancelled'))::int,
                   least(coalesce(sum(t.price_minor), 0), 9223372036854775807)::bigint,
                   least(coalesce(sum(t.price_minor) FILTER (WHERE t.revoked_reason IN ('refunded', 'cancelled')), 0),
                         9223372036854775807)::bigint
            FROM ticket_types tt JOIN events e ON e.id = tt.event_id
            LEFT JOIN tickets t ON t.ticket_type_id = tt.id
            WHERE e.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR e.id = \(event))
            GROUP BY tt.id, e.starts_at ORDER BY e.starts_at, tt.name
            """, logger: logger)
        var byType: [ByTicketType] = []
        for try await (id, eventID, name, capacity, sold, refunded, revenue, refundedMinor) in typeRows.decode(
            (UUID, UUID, String, Int, Int, Int, Int64, Int64).self)
        {
            byType.append(.init(
                ticketTypeID: id, eventID: eventID, name: name, capacity: capacity, sold: sold, refunded: refunded,
                revenueMinor: revenue, refundedMinor: refundedMinor))
        }

        let dayRows = try await database.query(
            """
            SELECT to_char(date_trunc('day', p.created_at AT TIME ZONE \(timeZone)), 'YYYY-MM-DD') AS day,
                   coalesce(sum(b.quantity) FILTER (WHERE p.kind = 'charge'), 0)::int,
                   least(coalesce(sum(p.amount_minor) FILTER (WHERE p.kind = 'charge'), 0), 9223372036854775807)::bigint,
                   least(coalesce(sum(p.amount_minor) FILTER (WHERE p.kind = 'refund'), 0), 9223372036854775807)::bigint
            FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id
            WHERE p.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR b.event_id = \(event))
            GROUP BY day ORDER BY day
            """, logger: logger)
        var byDay: [ByDay] = []
        for try await (day, sold, revenue, refunded) in dayRows.decode((String, Int, Int64, Int64).self) {
            byDay.append(.init(day: day, sold: sold, revenueMinor: revenue, refundedMinor: refunded))
        }

        let gateRows = try await database.query(
            """
            SELECT s.gate, count(*) FILTER (WHERE s.verdict = 'ok' AND s.direction = 'entry')::int,
                   count(*) FILTER (WHERE s.verdict <> 'ok')::int
            FROM scans s JOIN events e ON e.id = s.event_id
            WHERE e.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR e.id = \(event))
            GROUP BY s.gate ORDER BY s.gate
            """, logger: logger)
        var gates: [CheckIns.Gate] = []
        for try await (gate, admitted, refused) in gateRows.decode((String, Int, Int).self) {
            gates.append(.init(gate: gate, admitted: admitted, refused: refused))
        }
        let hourRows = try await database.query(
            """
            SELECT to_char(date_trunc('hour', s.scanned_at AT TIME ZONE \(timeZone)), 'YYYY-MM-DD"T"HH24:00') AS hour,
                   count(*)::int
            FROM scans s JOIN events e ON e.id = s.event_id
            WHERE e.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR e.id = \(event))
              AND s.verdict = 'ok' AND s.direction = 'entry'
            GROUP BY hour ORDER BY hour
            """, logger: logger)
        var hours: [CheckIns.Hour] = []
        for try await (hour, admitted) in hourRows.decode((String, Int).self) { hours.append(.init(hour: hour, admitted: admitted)) }
        let doorRows = try await database.query(
            """
            SELECT count(*)::int, coalesce(sum(d.quantity), 0)::int,
                   least(coalesce(sum(d.amount_minor), 0), 9223372036854775807)::bigint
            FROM door_sales d JOIN events e ON e.id = d.event_id
            WHERE e.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR e.id = \(event))
            """, logger: logger)
        var doorSales = DoorSales(sales: 0, tickets: 0, amountMinor: 0)
        for try await (sales, tickets, amount) in doorRows.decode((Int, Int, Int64).self) {
            doorSales = DoorSales(sales: sales, tickets: tickets, amountMinor: amount)
        }
        let conflictRows = try await database.query(
            """
            SELECT c.kind, count(*)::int FROM conflicts c JOIN events e ON e.id = c.event_id
            WHERE e.organizer_id = \(organizerID) AND (\(event)::uuid IS NULL OR e.id = \(event))
            GROUP BY c.kind ORDER BY c.kind
            """, logger: logger)
        var conflicts: [ConflictCount] = []
        for try await (kind, count) in conflictRows.decode((String, Int).self) { conflicts.append(.init(kind: kind, count: count)) }
        return Statistics(
            timeZone: timeZone, byTicketType: byType, byDay: byDay, checkIns: .init(byGate: gates, byHour: hours),
            doorSales: doorSales, conflicts: conflicts)
    }
}
