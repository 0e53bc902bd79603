import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Venues, always scoped to their owning organizer.
struct VenueRepository: Sendable {
    let database: Database

    struct Fields: Sendable, Equatable {
        var name: String
        var city: String
        var address: String
        var timeZone: String
        var kioskFailover: KioskFailover
    }

    private static let columns = "id, organizer_id, name, city, address, time_zone, kiosk_failover, created_at, updated_at"

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Venue] {
        var venues: [Venue] = []
        for try await (id, organizer, name, city, address, zone, failover, created, updated) in rows.decode(
            (UUID, UUID, String, String, String, String, KioskFailover, Date, Date).self)
        {
            venues.append(.init(
                id: id, organizerID: organizer, name: name, city: city, address: address, timeZone: zone,
                kioskFailover: failover, createdAt: created, updatedAt: updated))
        }
        return venues
    }

    /// A venue of `organizer`; another organizer's venue is "not found" (its existence is not revealed).
    func venue(id: UUID, organizer: UUID, logger: Logger) async throws -> Venue {
        let venues = try await Self.decode(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM venues WHERE id = \(id) AND organizer_id = \(organizer)",
                logger: logger))
        guard let venue = venues.first else { throw DomainError.notFound("Venue") }
        return venue
    }

    func venues(organizer: UUID, logger: Logger) async throws -> [Venue] {
        try await Self.decode(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM venues WHERE organizer_id = \(organizer) ORDER BY name, id",
                logger: logger))
    }

    func create(organizer: UUID, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> Venue {
        let id = UUID.now(now)
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO venues (id, organizer_id, name, city, address, time_zone, kiosk_failover, created_at, updated_at)
                VALUES (\(id), \(organizer), \(fields.name), \(fields.city), \(fields.address), \(fields.timeZone),
                        \(fields.kioskFailover), \(now), \(now))
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "venue.create", entityType: "venue",
                entityID: id, changes: ["name": .init(from: nil, to: fields.name)], at: now, logger: logger)
        }
        return try await venue(id: id, organizer: organizer, logger: logger)
    }

    func update(_ current: Venue, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> Venue {
        var changes: [String: AuditLog.Change] = [:]
        for (field, old, new) in [
            ("name", current.name, fields.name), ("city", current.city, fields.city),
            ("address", current.address, fields.address), ("time_zone", current.timeZone, fields.timeZone),
            ("kiosk_failover", current.kioskFailover.rawValue, fields.kioskFailover.rawValue),
        ] where old != new {
            changes[field] = .init(from: old, to: new)
        }
        guard !changes.isEmpty else { return current }
        try await database.withTransaction(logger: logger) { [changes] connection in
            try await connection.query(
                """
                UPDATE venues SET name = \(fields.name), city = \(fields.city), address = \(fields.address),
                    time_zone = \(fields.timeZone), kiosk_failover = \(fields.kioskFailover), updated_at = \(now)
                WHERE id = \(current.id) AND organizer_id = \(current.organizerID)
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: current.organizerID, action: "venue.update",
                entityType: "venue", entityID: current.id, changes: changes, at: now, logger: logger)
        }
        return try await venue(id: current.id, organizer: current.organizerID, logger: logger)
    }

    /// Deletes a venue no event uses.
    func delete(_ venue: Venue, actor: UUID, now: Date, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM events WHERE venue_id = \(venue.id)", logger: logger)
            for try await count in rows.decode(Int.self) where count > 0 {
                throw DomainError.conflict("Events use this venue; move or delete them first.", code: .venueInUse)
            }
            let nodes = try await connection.query(
                "SELECT count(*)::int FROM nodes WHERE venue_id = \(venue.id)", logger: logger)
            for try await count in nodes.decode(Int.self) where count > 0 {
                throw DomainError.conflict(
                    "Nodes were enrolled at this venue and their history is kept; it cannot be deleted.", code: .venueHasNodes)
            }
            try await connection.query("DELETE FROM node_enrollment_codes WHERE venue_id = \(venue.id)", logger: logger)
            try await connection.query("DELETE FROM sync_feed_horizons WHERE venue_id = \(venue.id)", logger: logger)
            try await connection.query(
                "DELETE FROM venues WHERE id = \(venue.id) AND organizer_id = \(venue.organizerID)", logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: venue.organizerID, action: "venue.delete", entityType: "venue",
                entityID: venue.id, changes: ["name": .init(from: venue.name, to: nil)], at: now, logger: logger)
        }
    }
}
