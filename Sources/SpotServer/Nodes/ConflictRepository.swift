import Foundation
import Logging
import PostgresNIO
import SpotSync

/// Conflicts as the organizer works through them: each with whether, when and how it was resolved.
struct ConflictRepository: Sendable {
    let database: Database

    struct Entry: Sendable {
        let conflict: SyncConflict
        let resolvedAt: Date?
        let resolutionNote: String?
    }

    /// The conflicts of one of `organizer`'s events, oldest first; 404 if the event is not theirs.
    func conflicts(event: UUID, organizer: UUID, logger: Logger) async throws -> [Entry] {
        try await database.withConnection(logger: logger) { connection in
            guard try await connection.returnsRow(
                "SELECT 1 FROM events WHERE id = \(event) AND organizer_id = \(organizer)", logger: logger)
            else { throw DomainError.notFound("Event") }
            let conflicts = try await SyncEntities.conflicts(.events([event]), on: connection, logger: logger)
            let rows = try await connection.query(
                "SELECT id, resolved_at, resolution_note FROM conflicts WHERE event_id = \(event)", logger: logger)
            var resolutions: [UUID: (Date?, String?)] = [:]
            for try await (id, at, note) in rows.decode((UUID, Date?, String?).self) { resolutions[id] = (at, note) }
            return conflicts.map {
                Entry(conflict: $0, resolvedAt: resolutions[$0.id]?.0, resolutionNote: resolutions[$0.id]?.1)
            }
        }
    }

    /// Marks a conflict of one of `organizer`'s events resolved (the first resolution stays);
    /// 404 if there is no such conflict of theirs, 422 if the note is over 1,000 characters.
    func resolve(_ id: UUID, organizer: UUID, actor: UUID, note: String?, now: Date, logger: Logger) async throws {
        var validator = Validator()
        let note = validator.text(note, "note", required: false, maxLength: 1000).flatMap { $0.isEmpty ? nil : $0 }
        try validator.throwIfInvalid()
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT c.resolved_at FROM conflicts c JOIN events e ON e.id = c.event_id
                WHERE c.id = \(id) AND e.organizer_id = \(organizer) FOR UPDATE OF c
                """, logger: logger)
            var found: Date??
            for try await resolved in rows.decode(Date?.self) { found = .some(resolved) }
            guard let resolved = found else { throw DomainError.notFound("Conflict") }
            guard resolved == nil else { return }
            try await connection.query(
                """
                UPDATE conflicts SET resolved_at = \(now), resolved_by = \(actor), resolution_note = \(note)
                WHERE id = \(id)
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "conflict.resolved", entityType: "conflict",
                entityID: id, changes: [:], at: now, logger: logger)
        }
    }
}
