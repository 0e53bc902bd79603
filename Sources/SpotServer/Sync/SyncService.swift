import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// The server's side of sync protocol v1 for pulls and snapshots
/// (`SyncProtocol/README.md` §5): everything is scoped to the node's own venue.
struct SyncService: Sendable {
    let database: Database
    /// A node whose wall clock differs from the server's by more than this is flagged.
    let skewBoundMilliseconds: Int64

    static let defaultPageSize = 1000
    static let maximumPageSize = 5000

    static func serverTime(_ now: Date) -> HLCTimestamp {
        HLCTimestamp(wallMilliseconds: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// The node's clock offset (its wall clock minus the server's), in milliseconds.
    static func offset(of clock: SyncClockReading, now: Date) -> Int64 {
        clock.wallMilliseconds - serverTime(now).wallMilliseconds
    }

    /// How stale a node's contact bookkeeping (last seen, last pull, clock offset) may get
    /// before a sync refreshes it: an idle pull writes nothing.
    static let contactRefreshInterval: TimeInterval = 60

    /// What a request tells of the node's contact (``NodeContact``).
    func contact(
        clock: SyncClockReading, version: SyncProtocolVersion, outboxDepth: Int?, pulled: Bool, now: Date
    ) -> NodeContact {
        let offset = Self.offset(of: clock, now: now)
        return NodeContact(
            seenAt: now, offsetMilliseconds: offset, skewed: abs(offset) > skewBoundMilliseconds, version: version.rawValue,
            outboxDepth: outboxDepth, pulled: pulled)
    }

    /// Records that the node was seen, its clock offset and protocol version — only when
    /// something the organizer sees changed or the last record is a minute old, so thousands
    /// of idle nodes long-polling cost no write transactions.
    func recordContact(
        _ node: AuthenticatedNode, clock: SyncClockReading, version: SyncProtocolVersion, outboxDepth: Int?, pulled: Bool,
        on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        let contact = contact(clock: clock, version: version, outboxDepth: outboxDepth, pulled: pulled, now: now)
        try await NodeContact.write([node.id: contact], on: connection, logger: logger)
    }

    /// The venue at one instant, and the cursor to follow the feed from.
    func snapshot(
        for node: AuthenticatedNode, request: SnapshotRequest, version: SyncProtocolVersion, now: Date, logger: Logger
    ) async throws -> Snapshot {
        // Writes first (certificate renewal, credential rotation, health), then one consistent read.
        let (trust, credential, info) = try await database.withTransaction(logger: logger) { connection in
            try await recordContact(
                node, clock: request.clock, version: version, outboxDepth: nil, pulled: true, on: connection, now: now,
                logger: logger)
            return (
                try await NodeRepository.trust(for: node, on: connection, now: now, logger: logger),
                try await NodeRepository.rotatedCredential(for: node, on: connection, now: now, logger: logger),
                try await NodeRepository.info(of: node, on: connection, logger: logger)
            )
        }
        return try await database.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            // Every transaction below xmin is in this snapshot; the feed restarts at xmin, so a
            // change committed after the snapshot is delivered by the feed (perhaps twice: harmless).
            let xminRows = try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", logger: logger)
            var xmin: UInt64 = 1
            for try await text in xminRows.decode(String.self) { xmin = UInt64(text) ?? 1 }
            let cursor = FeedCursor(transaction: xmin - 1, row: .max)
            let eventRows = try await connection.query(
                "SELECT id FROM events WHERE venue_id = \(node.venueID) AND status <> 'draft'", logger: logger)
            var eventIDs: [UUID] = []
            for try await id in eventRows.decode(UUID.self) { eventIDs.append(id) }
            let scope = SyncEntities.Scope.events(eventIDs)
            let allotments = try await NodeRepository.allotmentState(node: node.id, on: connection, logger: logger)
            return Snapshot(
                protocolVersion: version.rawValue, cursor: cursor.description, serverTime: Self.serverTime(now), node: info,
                events: try await SyncEntities.events(scope, on: connection, logger: logger),
                ticketTypes: try await SyncEntities.ticketTypes(scope, on: connection, logger: logger),
                tickets: PackedTickets(try await SyncEntities.tickets(scope, on: connection, logger: logger)),
                scans: try await SyncEntities.scans(scope, on: connection, logger: logger),
                conflicts: try await SyncEntities.conflicts(scope, on: connection, logger: logger),
                trust: trust, allotments: allotments.allotments, lastMutationID: allotments.lastMutationID,
                credential: credential)
        }
    }

    /// The next page of the venue's change feed after the request's cursor.
    func pull(
        for node: AuthenticatedNode, request: PullRequest, version: SyncProtocolVersion, now: Date, logger: Logger
    ) async throws -> FeedRead {
        guard let cursor = FeedCursor(request.cursor) else {
            throw DomainError.badRequest(
                "The cursor \"\(request.cursor.prefix(64))\" is not one this server handed out: bootstrap from a snapshot.",
                code: .cursorInvalid)
        }
        let limit = request.limit ?? Self.defaultPageSize
        guard (1...Self.maximumPageSize).contains(limit) else {
            throw DomainError.validation("limit", "must be between 1 and \(Self.maximumPageSize)")
        }
        guard request.outboxDepth >= 0 else { throw DomainError.validation("outbox_depth", "must not be negative") }
        return try await database.withTransaction(logger: logger) { connection in
            if let horizon = try await SyncFeedPruner.horizon(of: node.venueID, on: connection, logger: logger),
                cursor < horizon
            {
                throw DomainError(
                    .gone, .cursorExpired,
                    "The change feed no longer reaches back to this cursor: bootstrap from a snapshot.")
            }
            try await recordContact(
                node, clock: request.clock, version: version, outboxDepth: request.outboxDepth, pulled: true,
                on: connection, now: now, logger: logger)
            let trust = try await NodeRepository.trust(for: node, on: connection, now: now, logger: logger)
            let credential = try await NodeRepository.rotatedCredential(for: node, on: connection, now: now, logger: logger)
            return try await page(
                for: node, after: cursor, limit: limit, version: version, trust: trust, credential: credential,
                on: connection, now: now, logger: logger)
        }
    }

    /// The feed after `cursor`, with the node's trust, allotments and credential.
    private func page(
        for node: AuthenticatedNode, after cursor: FeedCursor, limit: Int, version: SyncProtocolVersion, trust: TrustBundle,
        credential: SyncCredential?, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> FeedRead {
        // One statement, one snapshot: what is read and what had to be left out agree.
        let rows = try await connection.query(
            """
            SELECT f.txid::text, f.id, f.kind, f.entity_id, h.held_back
            FROM (SELECT EXISTS (
                SELECT 1 FROM sync_feed
                WHERE venue_id = \(node.venueID) AND txid >= pg_snapshot_xmin(pg_current_snapshot())
            ) AS held_back) h
            LEFT JOIN LATERAL (
                SELECT txid, id, kind, entity_id FROM sync_feed
                WHERE venue_id = \(node.venueID)
                  AND txid < pg_snapshot_xmin(pg_current_snapshot())
                  AND (txid, id) > (\(String(cursor.transaction))::xid8, \(cursor.row))
                ORDER BY txid, id LIMIT \(limit + 1)
            ) f ON true
            ORDER BY f.txid, f.id
            """, logger: logger)
        var entries: [(FeedCursor, String, UUID)] = []
        var heldBack = false
        for try await (transaction, id, kind, entity, held) in rows.decode((String?, Int64?, String?, UUID?, Bool).self) {
            heldBack = held
            guard let transaction, let id, let kind, let entity else { continue }
            entries.append((try FeedCursor(stored: transaction, row: id), kind, entity))
        }
        let hasMore = entries.count > limit
        if hasMore { entries.removeLast() }
        let changes = try await Self.changes(entries.map { ($0.1, $0.2) }, on: connection, logger: logger)
        let allotments = try await NodeRepository.allotmentState(node: node.id, on: connection, logger: logger)
        var page = PullPage(
            protocolVersion: version.rawValue, cursor: (entries.last?.0 ?? cursor).description, hasMore: hasMore,
            serverTime: Self.serverTime(now), changes: changes, trust: trust, allotments: allotments.allotments,
            lastMutationID: allotments.lastMutationID, credential: credential)
        if version >= .livePull { page.stateDigest = page.computedStateDigest() }
        return FeedRead(page: page, heldBack: heldBack)
    }

    /// The current state of each entity named in a page, once each, in feed order.
    static func changes(
        _ entries: [(kind: String, id: UUID)], on connection: PostgresConnection, logger: Logger
    ) async throws -> [SyncChange] {
        var order: [String: [UUID]] = [:]
        var seen = Set<String>()
        var sequence: [(String, UUID)] = []
        for (kind, id) in entries where seen.insert("\(kind):\(id)").inserted {
            order[kind, default: []].append(id)
            sequence.append((kind, id))
        }
        var byKey: [String: SyncChange] = [:]
        if let ids = order["event"] {
            for value in try await SyncEntities.events(.ids(ids), on: connection, logger: logger) {
                byKey["event:\(value.id)"] = .event(value)
            }
        }
        if let ids = order["ticket_type"] {
            for value in try await SyncEntities.ticketTypes(.ids(ids), on: connection, logger: logger) {
                byKey["ticket_type:\(value.id)"] = .ticketType(value)
            }
        }
        if let ids = order["ticket"] {
            for value in try await SyncEntities.tickets(.ids(ids), on: connection, logger: logger) {
                byKey["ticket:\(value.id)"] = .ticket(value)
            }
        }
        if let ids = order["scan"] {
            for value in try await SyncEntities.scans(.ids(ids), on: connection, logger: logger) {
                byKey["scan:\(value.id)"] = .scan(value)
            }
        }
        if let ids = order["conflict"] {
            for value in try await SyncEntities.conflicts(.ids(ids), on: connection, logger: logger) {
                byKey["conflict:\(value.id)"] = .conflict(value)
            }
        }
        return sequence.compactMap { byKey["\($0.0):\($0.1)"] }
    }
}
