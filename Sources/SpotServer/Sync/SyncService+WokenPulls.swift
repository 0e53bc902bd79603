import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Held pulls woken together — a signing key retired wakes every pull of the organizer's
/// venues at once — are read together: a handful of statements for the whole batch (keys per
/// organizer, certificates per venue, the feeds through one lateral join, every node's
/// allotments in one statement) instead of a few per pull.
extension SyncService {
    /// One woken pull to read again.
    struct WokenPull: Sendable {
        let node: AuthenticatedNode
        let cursor: FeedCursor
        let limit: Int
        let version: SyncProtocolVersion
    }

    /// Each pull's page, in the order given; what the pull's first read did (contact, horizon,
    /// certificate renewal, credential rotation) is not done again.
    func reread(_ pulls: [WokenPull], now: Date, logger: Logger) async throws -> [FeedRead] {
        guard !pulls.isEmpty else { return [] }
        return try await database.withConnection(logger: logger) { connection in
            var keys: [UUID: [IssuerKey]] = [:]
            for organizer in Set(pulls.map(\.node.organizerID)) {
                keys[organizer] = try await IssuerKeyRepository.publicKeys(organizers: [organizer], on: connection, logger: logger)
            }
            let certificates = try await NodeRepository.deviceCertificates(
                venues: Array(Set(pulls.map(\.node.venueID))), on: connection, now: now, logger: logger)
            let feeds = try await Self.feeds(pulls, on: connection, logger: logger)
            let allotments = try await NodeRepository.allotmentStates(nodes: pulls.map(\.node.id), on: connection, logger: logger)
            var changes: [FeedKey: [SyncChange]] = [:]
            for (key, feed) in feeds where !feed.entries.isEmpty {
                changes[key] = try await Self.changes(
                    feed.entries.prefix(key.limit).map { ($0.kind, $0.entity) }, on: connection, logger: logger)
            }
            return pulls.map { pull in
                let key = FeedKey(pull)
                let entries = feeds[key]?.entries ?? []
                let state = allotments[pull.node.id] ?? ([], 0)
                var page = PullPage(
                    protocolVersion: pull.version.rawValue,
                    cursor: (entries.prefix(pull.limit).last?.cursor ?? pull.cursor).description,
                    hasMore: entries.count > pull.limit, serverTime: Self.serverTime(now), changes: changes[key] ?? [],
                    trust: TrustBundle(issuerKeys: keys[pull.node.organizerID] ?? [], certificates: certificates[pull.node.venueID] ?? []),
                    allotments: state.allotments, lastMutationID: state.lastMutationID, credential: nil)
                if pull.version >= .livePull { page.stateDigest = page.computedStateDigest() }
                return FeedRead(page: page, heldBack: feeds[key]?.heldBack ?? false)
            }
        }
    }

    /// A venue's feed after a cursor, up to a limit: pulls of one venue at one cursor share it.
    struct FeedKey: Hashable {
        let venue: UUID
        let cursor: FeedCursor
        let limit: Int

        init(_ pull: WokenPull) {
            venue = pull.node.venueID
            cursor = pull.cursor
            limit = pull.limit
        }
    }

    struct FeedEntry {
        let cursor: FeedCursor
        let kind: String
        let entity: UUID
    }

    /// A feed's entries and whether committed ones were left out (``FeedRead/heldBack``).
    struct Feed {
        var entries: [FeedEntry] = []
        var heldBack = false
    }

    /// Up to `limit + 1` entries of each distinct feed, in one statement (one snapshot).
    private static func feeds(
        _ pulls: [WokenPull], on connection: PostgresConnection, logger: Logger
    ) async throws -> [FeedKey: Feed] {
        let keys = Array(Set(pulls.map(FeedKey.init)))
        let rows = try await connection.query(
            """
            SELECT g.n, f.txid::text, f.id, f.kind, f.entity_id, h.held_back
            FROM unnest(\(keys.map(\.venue)), \(keys.map { String($0.cursor.transaction) }), \(keys.map(\.cursor.row)),
                        \(keys.map { $0.limit + 1 })) WITH ORDINALITY AS g(venue, txid, row, lim, n)
            CROSS JOIN LATERAL (SELECT EXISTS (
                SELECT 1 FROM sync_feed WHERE venue_id = g.venue AND txid >= pg_snapshot_xmin(pg_current_snapshot())
            ) AS held_back) h
            LEFT JOIN LATERAL (
                SELECT txid, id, kind, entity_id FROM sync_feed
                WHERE venue_id = g.venue AND txid < pg_snapshot_xmin(pg_current_snapshot())
                  AND (txid, id) > (g.txid::xid8, g.row)
                ORDER BY txid, id LIMIT g.lim
            ) f ON true
            ORDER BY g.n, f.txid, f.id
            """, logger: logger)
        var feeds: [FeedKey: Feed] = [:]
        for try await (ordinal, transaction, id, kind, entity, heldBack) in rows.decode(
            (Int64, String?, Int64?, String?, UUID?, Bool).self)
        {
            let key = keys[Int(ordinal) - 1]
            feeds[key, default: Feed()].heldBack = heldBack
            guard let transaction, let id, let kind, let entity else { continue }
            feeds[key, default: Feed()].entries.append(
                FeedEntry(cursor: try FeedCursor(stored: transaction, row: id), kind: kind, entity: entity))
        }
        return feeds
    }
}
