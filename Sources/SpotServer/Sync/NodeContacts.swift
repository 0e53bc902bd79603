import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// What the organizer sees of a node's contact — last seen, last pull, clock offset, protocol
/// version, outbox depth — and the one rule for writing it: a row is written only when its
/// contact is a ``SyncService/contactRefreshInterval`` old or something in it changed.
struct NodeContact: Equatable, Sendable {
    let seenAt: Date
    let offsetMilliseconds: Int64
    let skewed: Bool
    let version: Int
    /// `nil` when the request did not say (a snapshot).
    let outboxDepth: Int?
    /// A pull (or snapshot) rather than a push.
    let pulled: Bool

    /// Writes `contacts` in one statement, each row only where the rule above asks for it;
    /// returns how many rows were written.
    @discardableResult
    static func write(_ contacts: [UUID: NodeContact], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard !contacts.isEmpty else { return 0 }
        let pairs = Array(contacts)
        let nodes = pairs.map(\.key)
        let values = pairs.map(\.value)
        let rows = try await connection.query(
            """
            UPDATE nodes n SET last_seen_at = to_timestamp(c.seen / 1000.0), protocol_version = c.version,
                clock_offset_ms = c.offset_ms, clock_skewed = c.skewed,
                outbox_depth = CASE WHEN c.depth < 0 THEN n.outbox_depth ELSE c.depth END,
                last_pull_at = CASE WHEN c.pulled THEN to_timestamp(c.seen / 1000.0) ELSE n.last_pull_at END
            FROM unnest(\(nodes), \(values.map { Int64(($0.seenAt.timeIntervalSince1970 * 1000).rounded(.down)) }),
                        \(values.map(\.version)), \(values.map(\.offsetMilliseconds)), \(values.map(\.skewed)),
                        \(values.map { $0.outboxDepth ?? -1 }), \(values.map(\.pulled)))
                AS c(id, seen, version, offset_ms, skewed, depth, pulled)
            WHERE n.id = c.id
              AND (n.last_seen_at IS NULL
                   OR n.last_seen_at < to_timestamp(c.seen / 1000.0) - make_interval(secs => \(SyncService.contactRefreshInterval))
                   OR n.protocol_version IS DISTINCT FROM c.version OR n.clock_skewed IS DISTINCT FROM c.skewed
                   OR (c.depth >= 0 AND n.outbox_depth IS DISTINCT FROM c.depth)
                   OR (c.pulled AND (n.last_pull_at IS NULL
                       OR n.last_pull_at < to_timestamp(c.seen / 1000.0) - make_interval(secs => \(SyncService.contactRefreshInterval)))))
            RETURNING n.id
            """, logger: logger)
        var written = 0
        for try await _ in rows.decode(UUID.self) { written += 1 }
        return written
    }
}

/// Contacts of nodes whose idle pulls were held from memory (``IdlePullCache``), kept until
/// ``NodeContactWriter`` writes them all in one statement: no re-poll goes to the database,
/// and what the organizer sees is still at most a minute old.
final class NodeContacts: Sendable {
    private let pending = Mutex<[UUID: NodeContact]>([:])

    func note(_ contact: NodeContact, of node: UUID) {
        pending.withLock { $0[node] = contact }
    }

    /// Writes and forgets every contact noted so far; returns how many rows changed.
    @discardableResult
    func flush(database: Database, logger: Logger) async throws -> Int {
        let contacts = pending.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        guard !contacts.isEmpty else { return 0 }
        do {
            return try await database.withConnection(logger: logger) { connection in
                try await NodeContact.write(contacts, on: connection, logger: logger)
            }
        } catch {
            // Not lost: put back what no newer contact replaced, for the next round.
            pending.withLock { pending in pending.merge(contacts) { newer, _ in newer } }
            throw error
        }
    }
}

/// Writes the noted contacts every ``SyncService/contactRefreshInterval``, and once more at shutdown.
struct NodeContactWriter: Service {
    let contacts: NodeContacts
    let database: Database
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(SyncService.contactRefreshInterval))
                await flush()
            }
        }
        await flush()
    }

    private func flush() async {
        do {
            try await contacts.flush(database: database, logger: logger)
        } catch {
            logger.warning("node contacts not written; kept for the next round", metadata: ["error": "\(error)"])
        }
    }
}
