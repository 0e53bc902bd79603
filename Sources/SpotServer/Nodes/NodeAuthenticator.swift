import Foundation
import Synchronization
import Hummingbird
import Logging
import PostgresNIO

/// A venue node that presented a valid device credential.
struct AuthenticatedNode: Sendable, Equatable {
    let id: UUID
    let venueID: UUID
    let organizerID: UUID
    let credentialID: UUID
    let credentialExpiresAt: Date
}

/// Device credentials: system tokens of a node (`spot_nt_…`), valid 30 days and
/// rotated during sync once half their life is gone. Only their SHA-256 is stored.
package enum NodeCredential {
    static let prefix = "spot_nt_"
    static let lifetime: TimeInterval = 30 * 24 * 3600
    /// A credential with less than this left is replaced at the next sync.
    static let rotateWhenLeft: TimeInterval = 15 * 24 * 3600
    /// How long a replaced credential keeps working, in case the node missed the new one.
    static let graceAfterRotation: TimeInterval = 24 * 3600

    /// Stores a new credential for `node` and returns its token.
    package static func issue(node: UUID, on connection: PostgresConnection, now: Date, logger: Logger) async throws
        -> (token: String, expiresAt: Date)
    {
        let token = OpaqueToken.make(prefix: prefix)
        let expiresAt = now.addingTimeInterval(lifetime)
        try await connection.query(
            """
            INSERT INTO node_credentials (id, token_hash, node_id, created_at, expires_at)
            VALUES (\(UUID.now(now)), \(OpaqueToken.hash(token)), \(node), \(now), \(expiresAt))
            """, logger: logger)
        return (token, expiresAt)
    }
}

/// Reads `Authorization: Bearer spot_nt_…` on the sync routes and sets
/// ``AppRequestContext/node``. A revoked node, or an unknown or expired credential,
/// is a 401 saying which; routes that need a node refuse requests without one.
struct NodeAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let database: Database
    let clock: ServerClock
    let signals: SyncSignals
    let credentials: NodeCredentialCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.lowercased().hasPrefix("bearer ") else {
            throw DomainError.unauthenticated("Use 'Authorization: Bearer <device credential>'.", code: .tokenInvalid)
        }
        let token = header.dropFirst("bearer ".count).trimmingWhitespace()
        guard token.hasPrefix(NodeCredential.prefix) else {
            throw DomainError.unauthenticated("Sync routes take a node's device credential (spot_nt_…).", code: .tokenInvalid)
        }
        let now = clock.now()
        let hash = OpaqueToken.hash(token)
        if let node = credentials.node(for: hash, signals: signals, now: .now), node.credentialExpiresAt > now {
            return try await next(request, Self.context(context, node: node))
        }
        let readAt = signals.position
        let rows = try await database.query(
            """
            SELECT c.id, c.expires_at, n.id, n.venue_id, n.organizer_id, n.status
            FROM node_credentials c JOIN nodes n ON n.id = c.node_id
            WHERE c.token_hash = \(hash)
            """, logger: context.logger)
        var found: (UUID, Date, UUID, UUID, UUID, String)?
        for try await row in rows.decode((UUID, Date, UUID, UUID, UUID, String).self) { found = row }
        guard let (credentialID, expiresAt, nodeID, venueID, organizerID, status) = found else {
            throw DomainError.unauthenticated("This device credential is unknown: enroll the node again.", code: .tokenInvalid)
        }
        guard status == "active" else {
            throw DomainError.unauthenticated(
                "This node has been revoked by its organizer: it may no longer sync. Enroll it again with a new code.",
                code: .nodeRevoked)
        }
        guard expiresAt > now else {
            throw DomainError.unauthenticated(
                "This device credential expired at \(expiresAt.formatted(.iso8601)): enroll the node again.",
                code: .tokenExpired)
        }
        let node = AuthenticatedNode(
            id: nodeID, venueID: venueID, organizerID: organizerID, credentialID: credentialID,
            credentialExpiresAt: expiresAt)
        credentials.store(node, for: hash, readAt: readAt, signals: signals, now: .now)
        return try await next(request, Self.context(context, node: node))
    }

    private static func context(_ context: Context, node: AuthenticatedNode) -> Context {
        var context = context
        context.node = node
        context.logger[metadataKey: "node"] = .string(node.id.uuidString.lowercased())
        return context
    }
}

/// Device credentials a replica checked lately, so a node's re-polls — every 25 s while it is
/// idle, and all at once after a revocation answered every held pull — do not each look theirs
/// up. An entry holds while no notification says its venue's nodes changed (migration 20:
/// `nodes:<venue>` when a node's status or a device credential of one changes, so revoking a
/// node takes effect at once on every replica), only while notifications arrive, and for five
/// to ten minutes (drawn at random, so nodes that caught up together do not all look theirs up
/// again together). A credential's expiry is checked on every request against what was read.
final class NodeCredentialCache: Sendable {
    private struct Entry {
        let node: AuthenticatedNode
        let mark: SyncSignals.Mark
        let expiresAt: ContinuousClock.Instant
    }

    /// The shortest life of an entry; the longest is twice this.
    static let lifetime: Duration = .seconds(300)
    /// Bounded, so a flood of distinct tokens cannot grow it without end.
    static let capacity = 100_000

    private let entries = Mutex<[Data: Entry]>([:])
    /// A fraction in 0..<1 spreading each entry's life over ``lifetime`` … 2 × ``lifetime``.
    private let spread: @Sendable () -> Double

    init(spread: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.spread = spread
    }

    func node(for hash: Data, signals: SyncSignals, now: ContinuousClock.Instant) -> AuthenticatedNode? {
        guard signals.isListening else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            let mark = signals.mark(of: entry.node.venueID)
            guard now < entry.expiresAt, mark.nodes == entry.mark.nodes, mark.epoch == entry.mark.epoch else {
                entries[hash] = nil
                return nil
            }
            return entry.node
        }
    }

    /// Keeps what a read begun at `readAt` found, unless a signal since says it may be stale.
    func store(
        _ node: AuthenticatedNode, for hash: Data, readAt: SyncSignals.Position, signals: SyncSignals,
        now: ContinuousClock.Instant
    ) {
        let mark = signals.mark(of: node.venueID)
        guard signals.isListening, mark.epoch == readAt.epoch, mark.nodes <= readAt.counter else { return }
        let expiresAt = now + Self.lifetime * (1 + min(max(spread(), 0), 1))
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = Entry(node: node, mark: mark, expiresAt: expiresAt)
        }
    }
}
