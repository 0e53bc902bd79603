import Foundation
import Logging
import PostgresNIO

/// Organizer profiles, their verification and the audit trail of their changes.
package struct OrganizerRepository: Sendable {
    let database: Database
    /// Sessions this process keeps: a user whose role changes is forgotten there once it commits.
    let sessions: LiveSessions

    package init(database: Database, sessions: LiveSessions) {
        self.database = database
        self.sessions = sessions
    }

    static let columns = "o.id, o.user_id, o.name, o.description, o.contact_email, o.website, o.verified_at, o.created_at, o.updated_at"

    static func decode(_ rows: PostgresRowSequence) async throws -> [Organizer] {
        var organizers: [Organizer] = []
        for try await (id, user, name, description, email, website, verifiedAt, created, updated) in rows.decode(
            (UUID, UUID, String, String, String?, String?, Date?, Date, Date).self)
        {
            organizers.append(.init(
                id: id, userID: user, name: name, description: description, contactEmail: email, website: website,
                verified: verifiedAt != nil, verifiedAt: verifiedAt, createdAt: created, updatedAt: updated))
        }
        return organizers
    }

    func organizer(id: UUID, logger: Logger) async throws -> Organizer? {
        try await Self.decode(
            database.query("SELECT \(unescaped: Self.columns) FROM organizers o WHERE o.id = \(id)", logger: logger)
        ).first
    }

    package func organizer(userID: UUID, logger: Logger) async throws -> Organizer? {
        try await Self.decode(
            database.query("SELECT \(unescaped: Self.columns) FROM organizers o WHERE o.user_id = \(userID)", logger: logger)
        ).first
    }

    /// The caller's organizer profile, or 403.
    func requireOwnProfile(_ identity: Identity, logger: Logger) async throws -> Organizer {
        try identity.require(.organizer, to: "manage events, venues or an organizer profile")
        guard let organizer = try await organizer(userID: identity.userID, logger: logger) else {
            throw DomainError.forbidden("Create your organizer profile first (POST /api/v1/organizers).")
        }
        return organizer
    }

    struct Fields: Sendable {
        var name: String
        var description: String
        var contactEmail: String?
        var website: String?
    }

    /// Turns an attendee into an organizer with an unverified profile.
    func create(userID: UUID, fields: Fields, now: Date, logger: Logger) async throws -> Organizer {
        let id = UUID.now(now)
        try await database.withTransaction(logger: logger) { connection in
            let upgraded = try await connection.returnsRow(
                "UPDATE users SET role = 'organizer', updated_at = \(now) WHERE id = \(userID) AND role = 'attendee' RETURNING id",
                logger: logger)
            guard upgraded else { throw DomainError.conflict("Only an attendee account can become an organizer.") }
            try await connection.query(
                """
                INSERT INTO organizers (id, user_id, name, description, contact_email, website, created_at, updated_at)
                VALUES (\(id), \(userID), \(fields.name), \(fields.description), \(fields.contactEmail), \(fields.website),
                        \(now), \(now))
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: userID, organizer: id, action: "organizer.create", entityType: "organizer",
                entityID: id, changes: ["name": .init(from: nil, to: fields.name)], at: now, logger: logger)
        }
        sessions.forget(user: userID)
        return try await organizer(id: id, logger: logger)!
    }

    /// Updates the profile and records each changed field in the audit trail.
    func update(_ current: Organizer, fields: Fields, actor: UUID, now: Date, logger: Logger) async throws -> Organizer {
        var changes: [String: AuditLog.Change] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            if old != new { changes[field] = .init(from: old, to: new) }
        }
        note("name", current.name, fields.name)
        note("description", current.description, fields.description)
        note("contact_email", current.contactEmail, fields.contactEmail)
        note("website", current.website, fields.website)
        guard !changes.isEmpty else { return current }
        try await database.withTransaction(logger: logger) { [changes] connection in
            try await connection.query(
                """
                UPDATE organizers SET name = \(fields.name), description = \(fields.description),
                    contact_email = \(fields.contactEmail), website = \(fields.website), updated_at = \(now)
                WHERE id = \(current.id)
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: current.id, action: "organizer.update", entityType: "organizer",
                entityID: current.id, changes: changes, at: now, logger: logger)
        }
        return try await organizer(id: current.id, logger: logger)!
    }

    /// Deletes a profile that owns nothing yet; the account becomes an attendee again.
    func delete(_ organizer: Organizer, actor: UUID, now: Date, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT (SELECT count(*) FROM venues WHERE organizer_id = \(organizer.id))
                     + (SELECT count(*) FROM events WHERE organizer_id = \(organizer.id))
                """, logger: logger)
            for try await owned in rows.decode(Int.self) where owned > 0 {
                throw DomainError.conflict("Delete your venues and events first.", code: .organizerNotEmpty)
            }
            try await connection.query("UPDATE audit_log SET organizer_id = NULL WHERE organizer_id = \(organizer.id)", logger: logger)
            // Its door-staff accounts stay, unassigned: they can no longer check anyone in.
            try await connection.query("DELETE FROM staff_assignments WHERE organizer_id = \(organizer.id)", logger: logger)
            try await connection.query("DELETE FROM organizers WHERE id = \(organizer.id)", logger: logger)
            try await connection.query(
                "UPDATE users SET role = 'attendee', updated_at = \(now) WHERE id = \(organizer.userID)", logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: nil, action: "organizer.delete", entityType: "organizer",
                entityID: organizer.id, changes: ["name": .init(from: organizer.name, to: nil)], at: now, logger: logger)
        }
        sessions.forget(user: organizer.userID)
    }

    /// Marks an organizer verified (admins only; checked by the caller).
    package func verify(id: UUID, admin: UUID, now: Date, logger: Logger) async throws -> Organizer {
        try await database.withTransaction(logger: logger) { connection in
            let changed = try await connection.returnsRow(
                """
                UPDATE organizers SET verified_at = \(now), verified_by = \(admin), updated_at = \(now)
                WHERE id = \(id) AND verified_at IS NULL RETURNING id
                """, logger: logger)
            if changed {
                try await AuditLog.record(
                    on: connection, actor: admin, organizer: id, action: "organizer.verify", entityType: "organizer",
                    entityID: id, changes: ["verified": .init(from: "false", to: "true")], at: now, logger: logger)
            }
        }
        guard let organizer = try await organizer(id: id, logger: logger) else { throw DomainError.notFound("Organizer") }
        return organizer
    }

    func list(verified: Bool?, logger: Logger) async throws -> [Organizer] {
        try await Self.decode(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM organizers o
                WHERE \(verified)::boolean IS NULL OR (o.verified_at IS NOT NULL) = \(verified)
                ORDER BY o.created_at
                """, logger: logger))
    }
}
