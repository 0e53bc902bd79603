import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps the change feed bounded: deletes feed rows older than the retention, oldest
/// first and in small transactions, and moves each venue's horizon to the newest position
/// it pruned. A pull whose cursor is below its venue's horizon may have missed a pruned row,
/// so it is answered `cursor_expired` and the node bootstraps from a snapshot
/// (`SyncProtocol/sync-v1.md` §5.1). Only rows of committed transactions are pruned.
public struct SyncFeedPruner: Service {
    let database: Database
    let retention: TimeInterval
    let interval: Duration
    let clock: ServerClock
    let logger: Logger

    /// Rows deleted per transaction.
    static let batchSize = 5_000

    public func run() async throws {
        try await runLoop(idle: interval, logger: logger) {
            // Work through the backlog, then rest.
            let pruned = try await pruneOnce()
            return pruned == Self.batchSize ? pruned : 0
        }
    }

    /// Prunes up to one batch of rows recorded before now − retention; returns how many.
    @discardableResult
    func pruneOnce() async throws -> Int {
        let cutoff = clock.now().addingTimeInterval(-retention)
        let now = clock.now()
        return try await database.withTransaction(logger: logger) { [logger] connection in
            let rows = try await connection.query(
                """
                WITH doomed AS (
                    SELECT id FROM sync_feed
                    WHERE recorded_at < \(cutoff) AND txid < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY txid, id LIMIT \(Self.batchSize)
                ), gone AS (
                    DELETE FROM sync_feed f USING doomed d WHERE f.id = d.id RETURNING f.venue_id, f.txid, f.id
                ), horizons AS (
                    INSERT INTO sync_feed_horizons (venue_id, txid, row_id, pruned_at)
                    SELECT DISTINCT ON (venue_id) venue_id, txid, id, \(now) FROM gone
                    ORDER BY venue_id, txid DESC, id DESC
                    ON CONFLICT (venue_id) DO UPDATE
                        SET txid = EXCLUDED.txid, row_id = EXCLUDED.row_id, pruned_at = EXCLUDED.pruned_at
                        WHERE (EXCLUDED.txid, EXCLUDED.row_id) > (sync_feed_horizons.txid, sync_feed_horizons.row_id)
                )
                SELECT count(*)::int FROM gone
                """, logger: logger)
            var pruned = 0
            for try await count in rows.decode(Int.self) { pruned = count }
            if pruned > 0 { logger.info("pruned the sync feed", metadata: ["rows": "\(pruned)"]) }
            return pruned
        }
    }

    /// The newest pruned position of `venue`, if anything of it was ever pruned.
    static func horizon(of venue: UUID, on connection: PostgresConnection, logger: Logger) async throws -> FeedCursor? {
        let rows = try await connection.query(
            "SELECT txid::text, row_id FROM sync_feed_horizons WHERE venue_id = \(venue)", logger: logger)
        for try await (transaction, row) in rows.decode((String, Int64).self) {
            return try FeedCursor(stored: transaction, row: row)
        }
        return nil
    }
}
