import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Reads the revocation feed in commit order. Each row carries the id of the
/// transaction that wrote it; a reader takes only rows of transactions below the oldest
/// one still running (`pg_snapshot_xmin`), ordered by (transaction id, row id). A slow
/// transaction that commits after faster ones therefore shows up late but is never
/// skipped: while it runs, the cursor cannot move past it. (Transaction ids are
/// cluster-wide, so any long transaction delays readers — never the other way round.)
struct RevocationFeed: Sendable {
    typealias Cursor = FeedCursor

    struct Entry: Sendable, Equatable {
        let revocation: Revocation
        let eventID: UUID
        let createdAt: Date
    }

    let database: Database

    /// Up to `limit` entries after `cursor`, and the cursor to continue from.
    func read(after cursor: Cursor, events: [UUID]? = nil, limit: Int, logger: Logger) async throws -> ([Entry], Cursor) {
        let rows = try await database.query(
            """
            SELECT txid::text, id, ticket_id, issue_version, event_id, reason, created_at FROM revocations
            WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
              AND (txid, id) > (\(String(cursor.transaction))::xid8, \(cursor.row))
              AND (\(events)::uuid[] IS NULL OR event_id = ANY(\(events)))
            ORDER BY txid, id LIMIT \(limit)
            """, logger: logger)
        var entries: [Entry] = []
        var next = cursor
        for try await (transaction, id, ticket, version, event, reason, created) in rows.decode(
            (String, Int64, UUID, Int, UUID, String, Date).self)
        {
            next = Cursor(transaction: UInt64(transaction) ?? cursor.transaction, row: id)
            // Never skipped: an unknown reason still revokes, a version beyond a ticket's revokes them all.
            entries.append(Entry(
                revocation: Revocation(
                    ticketID: ticket, issueVersion: UInt32(exactly: version) ?? .max, reason: RevocationReason(wireValue: reason)),
                eventID: event, createdAt: created))
        }
        return (entries, next)
    }
}
