import Foundation
import Logging
import PostgresNIO

/// Ticket types of events. Ownership is the event's: callers check it first.
struct TicketTypeRepository: Sendable {
    let database: Database

    struct Fields: Sendable, Equatable {
        var name: String
        var priceMinor: Int64
        var currency: String
        var capacity: Int
        var salesStart: Date?
        var salesEnd: Date?
    }

    private static let columns =
        "id, event_id, name, price_minor, currency, capacity, sales_start, sales_end, created_at, updated_at"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [TicketType] {
        var types: [TicketType] = []
        for try await (id, event, name, price, currency, capacity, start, end, created, updated) in rows.decode(
            (UUID, UUID, String, Int64, String, Int, Date?, Date?, Date, Date).self)
        {
            types.append(.init(
                id: id, eventID: event, name: name, priceMinor: price, currency: currency, capacity: capacity,
                salesStart: start, salesEnd: end, createdAt: created, updatedAt: updated))
        }
        return types
    }

    /// What a buyer can still take of each ticket type of `event` online.
    struct Availability: Sendable, Equatable {
        /// Capacity less seats held or sold online and seats allotted to venue nodes.
        let available: Int
        let maxPerOrder: Int
    }

    func availability(event: UUID, logger: Logger) async throws -> [UUID: Availability] {
        let rows = try await database.query(
            """
            SELECT i.ticket_type_id, i.available, t.max_per_order
            FROM ticket_type_inventory i JOIN ticket_types t ON t.id = i.ticket_type_id WHERE i.event_id = \(event)
            """, logger: logger)
        var result: [UUID: Availability] = [:]
        for try await (id, available, maxPerOrder) in rows.decode((UUID, Int, Int).self) {
            result[id] = Availability(available: max(0, available), maxPerOrder: maxPerOrder)
        }
        return result
    }

    func ticketType(id: UUID, logger: Logger) async throws -> TicketType? {
        try await Self.decode(
            database.query("SELECT \(unescaped: Self.columns) FROM ticket_types WHERE id = \(id)", logger: logger)
        ).first
    }

    func ticketTypes(event: UUID, logger: Logger) async throws -> [TicketType] {
        try await Self.decode(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM ticket_types WHERE event_id = \(event) ORDER BY price_minor, name, id",
                logger: logger))
    }

    func create(event: Event, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> TicketType {
        let id = UUID.now(now)
        try await database.withTransaction(logger: logger) { connection in
            // Lock the event row so a concurrent cancel cannot slip between the check and the insert.
            let rows = try await connection.query(
                "SELECT status FROM events WHERE id = \(event.id) FOR UPDATE", logger: logger)
            for try await status in rows.decode(String.self) where status == "cancelled" {
                throw DomainError.conflict("The event is cancelled.", code: .eventCancelled)
            }
            try await connection.query(
                """
                INSERT INTO ticket_types (id, event_id, name, price_minor, currency, capacity, sales_start, sales_end,
                                          created_at, updated_at)
                VALUES (\(id), \(event.id), \(fields.name), \(fields.priceMinor), \(fields.currency), \(fields.capacity),
                        \(fields.salesStart), \(fields.salesEnd), \(now), \(now))
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "ticket_type.create",
                entityType: "ticket_type", entityID: id,
                changes: ["name": .init(from: nil, to: fields.name), "price_minor": .init(from: nil, to: String(fields.priceMinor)),
                          "capacity": .init(from: nil, to: String(fields.capacity))],
                at: now, logger: logger)
        }
        return try await ticketType(id: id, logger: logger)!
    }

    func update(_ current: TicketType, event: Event, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> TicketType {
        var changes: [String: AuditLog.Change] = [:]
        let iso = { (date: Date?) in date?.formatted(.iso8601) }
        for (field, old, new) in [
            ("name", current.name, fields.name), ("price_minor", String(current.priceMinor), String(fields.priceMinor)),
            ("currency", current.currency, fields.currency), ("capacity", String(current.capacity), String(fields.capacity)),
        ] where old != new {
            changes[field] = .init(from: old, to: new)
        }
        if iso(current.salesStart) != iso(fields.salesStart) {
            changes["sales_start"] = .init(from: iso(current.salesStart), to: iso(fields.salesStart))
        }
        if iso(current.salesEnd) != iso(fields.salesEnd) {
            changes["sales_end"] = .init(from: iso(current.salesEnd), to: iso(fields.salesEnd))
        }
        guard !changes.isEmpty else { return current }
        try await database.withTransaction(logger: logger) { [changes] connection in
            if fields.capacity < current.capacity {
                // The pool must show every seat on sale before it can shrink.
                try await InventoryStripes.drain(current.id, on: connection, logger: logger)
            }
            let updated = try await connection.query(
                """
                UPDATE ticket_types SET name = \(fields.name), price_minor = \(fields.priceMinor), currency = \(fields.currency),
                    capacity = \(fields.capacity), sales_start = \(fields.salesStart), sales_end = \(fields.salesEnd),
                    updated_at = \(now)
                WHERE id = \(current.id) AND reserved + allotted <= \(fields.capacity)
                RETURNING id
                """, logger: logger)
            var found = false
            for try await _ in updated { found = true }
            if !found {
                let rows = try await connection.query(
                    "SELECT reserved + allotted FROM ticket_types WHERE id = \(current.id)", logger: logger)
                for try await taken in rows.decode(Int.self) {
                    throw DomainError.validation(
                        "capacity", "must be at least \(taken): that many seats are held, sold or allotted to venue nodes")
                }
                throw DomainError.notFound("Ticket type")
            }
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "ticket_type.update",
                entityType: "ticket_type", entityID: current.id, changes: changes, at: now, logger: logger)
        }
        return try await ticketType(id: current.id, logger: logger)!
    }

    func delete(_ ticketType: TicketType, event: Event, actor: UUID, now: Date, logger: Logger) async throws {
        guard event.status == .draft else {
            throw DomainError.conflict("Ticket types of a published event cannot be deleted.", code: .eventNotDraft)
        }
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM ticket_types WHERE id = \(ticketType.id)", logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "ticket_type.delete",
                entityType: "ticket_type", entityID: ticketType.id, changes: ["name": .init(from: ticketType.name, to: nil)],
                at: now, logger: logger)
        }
    }
}
