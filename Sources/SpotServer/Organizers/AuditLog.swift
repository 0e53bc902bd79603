import Foundation
import SpotSync
import Logging
import PostgresNIO

/// Who changed what and when: one row per change, written in the same transaction
/// as the change itself, so the trail can never disagree with the data.
enum AuditLog {
    /// A field's value before and after (JSON `null` when absent).
    struct Change: Codable, Sendable, Equatable {
        let from: String?
        let to: String?

        init(from: String?, to: String?) {
            self.from = from
            self.to = to
        }
    }

    /// One entry as the API shows it.
    struct Entry: Codable, Sendable {
        let id: Int64
        let at: Date
        @LowercaseOptionalUUID var actorUserID: UUID?
        @LowercaseOptionalUUID var organizerID: UUID?
        let action: String
        let entityType: String
        @LowercaseUUID var entityID: UUID
        let changes: [String: Change]
    }

    static func record(
        on connection: PostgresConnection, actor: UUID, organizer: UUID?, action: String, entityType: String,
        entityID: UUID, changes: [String: Change], at: Date, logger: Logger
    ) async throws {
        let json = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO audit_log (at, actor_user_id, organizer_id, action, entity_type, entity_id, changes)
            VALUES (\(at), \(actor), \(organizer), \(action), \(entityType), \(entityID), \(json)::jsonb)
            """, logger: logger)
    }

    /// Entries newest first, optionally only one organizer's, paged by id.
    static func entries(
        database: Database, organizer: UUID?, before: Int64?, limit: Int, logger: Logger
    ) async throws -> [Entry] {
        let rows = try await database.query(
            """
            SELECT id, at, actor_user_id, organizer_id, action, entity_type, entity_id, changes::text
            FROM audit_log
            WHERE (\(organizer)::uuid IS NULL OR organizer_id = \(organizer))
              AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var entries: [Entry] = []
        for try await (id, at, actor, organizer, action, type, entity, changes) in rows.decode(
            (Int64, Date, UUID?, UUID?, String, String, UUID, String).self)
        {
            let decoded = (try? JSONDecoder().decode([String: Change].self, from: Data(changes.utf8))) ?? [:]
            entries.append(.init(
                id: id, at: at, actorUserID: actor, organizerID: organizer, action: action, entityType: type,
                entityID: entity, changes: decoded))
        }
        return entries
    }
}
