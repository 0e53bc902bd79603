import Foundation
import Logging
import PostgresNIO

/// Events: organizer CRUD, publish and cancel, with every change in the audit trail.
package struct EventRepository: Sendable {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    struct Fields: Sendable, Equatable {
        var venueID: UUID
        var category: String
        var title: String
        var description: String
        var startsAt: Date
        var endsAt: Date
        var reentryPolicy: String
    }

    static let columns = """
        e.id, e.organizer_id, e.venue_id, e.category_id, e.title, e.description, e.starts_at, e.ends_at,
        e.reentry_policy, e.status, e.published_at, e.cancelled_at, e.created_at, e.updated_at,
        v.name, v.city, v.time_zone, e.min_price_minor, e.max_price_minor, e.price_currency
        """

    /// How many columns ``columns`` selects (a query's next column is at this index).
    static let columnCount = 20

    typealias Row = (
        UUID, UUID, UUID, String, String, String, Date, Date, String, String, Date?, Date?, Date, Date,
        String, String, String, Int64?, Int64?, String?
    )

    /// An event from its row; a status this server does not know is refused, never defaulted.
    static func event(_ row: Row) throws -> Event {
        let (id, organizer, venue, category, title, description, starts, ends, reentry, status, published,
             cancelled, created, updated, venueName, city, zone, minPrice, maxPrice, currency) = row
        return Event(
            id: id, organizerID: organizer, venueID: venue, category: category, title: title, description: description,
            startsAt: starts, endsAt: ends, reentryPolicy: reentry, status: try Event.Status(stored: status),
            publishedAt: published, cancelledAt: cancelled, createdAt: created, updatedAt: updated,
            venue: .init(name: venueName, city: city, timeZone: zone),
            priceRange: minPrice.flatMap { min in
                maxPrice.map { .init(minMinor: min, maxMinor: $0, currency: currency ?? "EUR") }
            })
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Event] {
        var events: [Event] = []
        for try await row in rows.decode(Row.self) { events.append(try event(row)) }
        return events
    }

    package func event(id: UUID, logger: Logger) async throws -> Event? {
        try await Self.decode(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM events e JOIN venues v ON v.id = e.venue_id WHERE e.id = \(id)",
                logger: logger)
        ).first
    }

    func events(organizer: UUID, status: Event.Status?, logger: Logger) async throws -> [Event] {
        try await Self.decode(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM events e JOIN venues v ON v.id = e.venue_id
                WHERE e.organizer_id = \(organizer) AND (\(status?.rawValue)::text IS NULL OR e.status = \(status?.rawValue))
                ORDER BY e.starts_at, e.id
                """, logger: logger))
    }

    func categories(logger: Logger) async throws -> [Category] {
        let rows = try await database.query("SELECT id, name FROM categories ORDER BY position", logger: logger)
        var categories: [Category] = []
        for try await (id, name) in rows.decode((String, String).self) { categories.append(.init(id: id, name: name)) }
        return categories
    }

    /// Checks the references of `fields` inside the transaction: the venue must be the organizer's, the category must exist.
    private static func checkReferences(
        _ fields: Fields, organizer: UUID, connection: PostgresConnection, logger: Logger
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM venues WHERE id = \(fields.venueID) AND organizer_id = \(organizer)),
                   EXISTS (SELECT 1 FROM categories WHERE id = \(fields.category))
            """, logger: logger)
        for try await (venueOK, categoryOK) in rows.decode((Bool, Bool).self) {
            var problems: [String: String] = [:]
            if !venueOK { problems["venue_id"] = "is not one of your venues" }
            if !categoryOK { problems["category"] = "is not a known category (see GET /api/v1/categories)" }
            if !problems.isEmpty { throw DomainError.validation(problems) }
        }
    }

    func create(organizer: UUID, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> Event {
        let id = UUID.now(now)
        try await database.withTransaction(logger: logger) { connection in
            try await Self.checkReferences(fields, organizer: organizer, connection: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO events (id, organizer_id, venue_id, category_id, title, description, starts_at, ends_at,
                                    reentry_policy, created_at, updated_at)
                VALUES (\(id), \(organizer), \(fields.venueID), \(fields.category), \(fields.title), \(fields.description),
                        \(fields.startsAt), \(fields.endsAt), \(fields.reentryPolicy), \(now), \(now))
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "event.create", entityType: "event",
                entityID: id, changes: ["title": .init(from: nil, to: fields.title)], at: now, logger: logger)
        }
        return try await event(id: id, logger: logger)!
    }

    func update(_ current: Event, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> Event {
        var changes: [String: AuditLog.Change] = [:]
        let iso = { (date: Date) in date.formatted(.iso8601) }
        for (field, old, new) in [
            ("venue_id", current.venueID.uuidString.lowercased(), fields.venueID.uuidString.lowercased()),
            ("category", current.category, fields.category), ("title", current.title, fields.title),
            ("description", current.description, fields.description),
            ("starts_at", iso(current.startsAt), iso(fields.startsAt)), ("ends_at", iso(current.endsAt), iso(fields.endsAt)),
            ("reentry_policy", current.reentryPolicy, fields.reentryPolicy),
        ] where old != new {
            changes[field] = .init(from: old, to: new)
        }
        guard !changes.isEmpty else { return current }
        try await database.withTransaction(logger: logger) { [changes] connection in
            try await Self.checkReferences(fields, organizer: current.organizerID, connection: connection, logger: logger)
            let updated = try await connection.returnsRow(
                """
                UPDATE events SET venue_id = \(fields.venueID), category_id = \(fields.category), title = \(fields.title),
                    description = \(fields.description), starts_at = \(fields.startsAt), ends_at = \(fields.endsAt),
                    reentry_policy = \(fields.reentryPolicy), updated_at = \(now)
                WHERE id = \(current.id) AND status <> 'cancelled' RETURNING id
                """, logger: logger)
            guard updated else { throw DomainError.conflict("A cancelled event cannot be edited.", code: .eventCancelled) }
            try await AuditLog.record(
                on: connection, actor: actor, organizer: current.organizerID, action: "event.update", entityType: "event",
                entityID: current.id, changes: changes, at: now, logger: logger)
            let noticeable = Set(changes.keys).intersection(["title", "starts_at", "ends_at", "venue_id"])
            if current.status == .published, !noticeable.isEmpty {
                try await NotificationOutbox.enqueue(
                    .eventChanged, users: try await Self.holders(of: current.id, on: connection, logger: logger),
                    subject: "\(fields.title) has changed",
                    body: "The organizer changed \(noticeable.sorted().map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", ")) "
                        + "of \(fields.title). It now starts \(fields.startsAt.formatted(.iso8601)). Your tickets stay valid.",
                    on: connection, now: now, logger: logger)
            }
        }
        return try await event(id: current.id, logger: logger)!
    }

    /// The users holding paid bookings of `event`.
    static func holders(of event: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        let rows = try await connection.query(
            "SELECT DISTINCT user_id FROM bookings WHERE event_id = \(event) AND status = 'paid'", logger: logger)
        var users: [UUID] = []
        for try await user in rows.decode(UUID.self) { users.append(user) }
        return users
    }

    /// Publishes a draft of a verified organizer that has something to sell and has not started.
    func publish(_ event: Event, verified: Bool, actor: UUID, now: Date, logger: Logger) async throws -> Event {
        guard verified else {
            throw DomainError(
                .forbidden, .organizerNotVerified,
                "Your organizer profile is not verified yet: you can draft events, an admin must verify you before you publish.")
        }
        switch event.status {
        case .published: return event
        case .cancelled: throw DomainError.conflict("A cancelled event cannot be published.", code: .eventCancelled)
        case .draft: break
        }
        guard event.startsAt > now else {
            throw DomainError.conflict("This event has already started.", code: .eventStarted)
        }
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM ticket_types WHERE event_id = \(event.id)", logger: logger)
            for try await count in rows.decode(Int.self) where count == 0 {
                throw DomainError.conflict("Add at least one ticket type before publishing.", code: .noTicketTypes)
            }
            try await connection.query(
                """
                UPDATE events SET status = 'published', published_at = \(now), updated_at = \(now)
                WHERE id = \(event.id) AND status = 'draft'
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "event.publish", entityType: "event",
                entityID: event.id, changes: ["status": .init(from: "draft", to: "published")], at: now, logger: logger)
        }
        return try await self.event(id: event.id, logger: logger)!
    }

    /// Cancels the event: sales stop at once, unpaid holds are released, every paid
    /// booking gets a refund job (refunded through the gateway, its tickets revoked, by
    /// ``JobRunner``), and every holder is notified — all queued in this one transaction.
    func cancel(_ event: Event, actor: UUID, now: Date, logger: Logger) async throws -> Event {
        guard event.status != .cancelled else { return event }
        try await database.withTransaction(logger: logger) { connection in
            let changed = try await connection.returnsRow(
                """
                UPDATE events SET status = 'cancelled', cancelled_at = \(now), updated_at = \(now)
                WHERE id = \(event.id) AND status <> 'cancelled' RETURNING id
                """, logger: logger)
            guard changed else { return }
            let held = try await connection.query(
                "SELECT id FROM bookings WHERE event_id = \(event.id) AND status = 'held' ORDER BY id FOR UPDATE", logger: logger)
            var holds: [UUID] = []
            for try await id in held.decode(UUID.self) { holds.append(id) }
            for booking in holds {
                try await BookingRepository.release(booking: booking, status: .cancelled, on: connection, now: now, logger: logger)
            }
            let paid = try await connection.query(
                "SELECT id FROM bookings WHERE event_id = \(event.id) AND status = 'paid' ORDER BY id", logger: logger)
            var bookings: [UUID] = []
            for try await id in paid.decode(UUID.self) { bookings.append(id) }
            for booking in bookings {
                try await JobQueue.enqueue(
                    .refundCancelledBooking, payload: ["booking_id": booking.uuidString.lowercased()], on: connection, now: now,
                    logger: logger)
            }
            try await NotificationOutbox.enqueue(
                .eventCancelled, users: try await Self.holders(of: event.id, on: connection, logger: logger),
                subject: "\(event.title) is cancelled",
                body: "We are sorry: \(event.title) has been cancelled. Your tickets are refunded in full to your card; "
                    + "you will get a confirmation when the refund is done.",
                on: connection, now: now, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "event.cancel", entityType: "event",
                entityID: event.id, changes: ["status": .init(from: event.status.rawValue, to: "cancelled")], at: now,
                logger: logger)
        }
        return try await self.event(id: event.id, logger: logger)!
    }

    /// Deletes a draft and its ticket types.
    func delete(_ event: Event, actor: UUID, now: Date, logger: Logger) async throws {
        guard event.status == .draft else {
            throw DomainError.conflict("Only drafts can be deleted; cancel a published event instead.", code: .eventNotDraft)
        }
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query("DELETE FROM ticket_types WHERE event_id = \(event.id)", logger: logger)
            try await connection.query("DELETE FROM events WHERE id = \(event.id) AND status = 'draft'", logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: event.organizerID, action: "event.delete", entityType: "event",
                entityID: event.id, changes: ["title": .init(from: event.title, to: nil)], at: now, logger: logger)
        }
    }
}
