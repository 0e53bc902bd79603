import Crypto
import Foundation
import GRDB
import SpotCore
import SpotSync

/// The venue mesh's storage (peer protocol v1): this node's own facts, read by its peers by
/// mutation id and signed as they are served; the facts of its peers, kept as received until
/// the server has them (the peer says so, or this node relayed them), their scans recorded as
/// the server's feed records scans — so a ticket admitted at a peer's door is
/// `already_admitted` here — with a cursor per peer.
extension NodeDatabase {
    /// A page of this node's own facts after mutation id `after`, oldest first, signed.
    public struct OwnFacts: Sendable {
        public var identity: NodeIdentity
        public var facts: [SignedFact]
        public var hasMore: Bool
        /// Every fact up to this mutation id has been answered by the server.
        public var acknowledgedThrough: Int64
    }

    /// This node's own facts after the mutation id `after`, oldest first, up to `limit`, each
    /// signed with its device key (Ed25519 signatures are deterministic: a fact read twice is
    /// signed the same).
    public func ownFacts(after: Int64, limit: Int) throws -> OwnFacts {
        let (identity, rows, acknowledged) = try writer.read { db in
            let identity = try identityCache.identity { try Self.identity(db) }
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT mutation_id, kind, body FROM own_facts WHERE mutation_id > ? ORDER BY mutation_id LIMIT ?"),
                arguments: [after, limit + 1])
            let oldestWaiting = try Int64.fetchOne(db, sql: "SELECT min(mutation_id) FROM outbox")
            let lastIssued = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") ?? 0
            return (identity, rows, oldestWaiting.map { $0 - 1 } ?? lastIssued)
        }
        let facts = try rows.prefix(limit).map { row -> SignedFact in
            guard let kind = SyncMutation.Kind(rawValue: row["kind"]) else { throw PeerError.storage("an own fact of unknown kind") }
            return try SignedFact.sign(
                node: identity.nodeID, mutationID: row["mutation_id"], kind: kind, body: row["body"],
                key: identity.deviceKey.privateKey)
        }
        return OwnFacts(identity: identity, facts: facts, hasMore: rows.count > limit, acknowledgedThrough: acknowledged)
    }

    /// Forgets own facts older than `age` that the server has answered (peers that far behind
    /// learn them from the server's feed).
    public func pruneOwnFacts(olderThan age: TimeInterval, now: Date) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    DELETE FROM own_facts WHERE created_at < ?
                        AND mutation_id < coalesce((SELECT min(mutation_id) FROM outbox), 9223372036854775807)
                    """,
                arguments: [now.timeIntervalSince1970 - age])
        }
    }

    /// Where reading `peer`'s facts continues (0: from its first).
    public func peerCursor(_ peer: UUID) throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT cursor FROM peers WHERE node_id = ?", arguments: [peer.text]) ?? 0
        }
    }

    /// Records a page of `page.nodeID`'s own facts, each checked against `key` (the peer's
    /// certified device key), and moves its cursor (never back), in one transaction: scans enter
    /// the verdict; every fact the server may not have yet is kept for relay, and those the peer
    /// says the server answered are dropped. A fact that does not verify, cannot be read or
    /// names another node refuses the whole page. Returns the new scans recorded.
    @discardableResult
    public func applyPeerFacts(
        _ page: PeerFactsPage, key: Curve25519.Signing.PublicKey, from url: String? = nil, now: Date
    ) throws(PeerError) -> Int {
        var scans: [SyncScan] = []
        for fact in page.facts {
            guard fact.nodeID == page.nodeID else { throw .invalidPage("a fact of another node") }
            guard fact.isSigned(by: key) else { throw .invalidPage("fact \(fact.mutationID) is not signed by its node") }
            do {
                if case .scan(let scan) = try fact.mutation().body { scans.append(scan) }
            } catch {
                throw .invalidPage("fact \(fact.mutationID): \(error)")
            }
        }
        do {
            return try writer.write { db in
                let node = page.nodeID.text
                let previous = try Row.fetchOne(
                    db, sql: "SELECT cursor, acknowledged_through FROM peers WHERE node_id = ?", arguments: [node])
                let acknowledged = max(previous?["acknowledged_through"] ?? 0, page.acknowledgedThrough)
                var recorded = 0
                for scan in scans {
                    try ScanRow(scan).insert(db, onConflict: .ignore)
                    recorded += db.changesCount
                }
                for fact in page.facts where fact.mutationID > acknowledged {
                    try db.cachedStatement(
                        sql: """
                            INSERT OR IGNORE INTO peer_facts (node_id, mutation_id, kind, body, signature, received_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """
                    ).execute(arguments: [node, fact.mutationID, fact.kind.rawValue, fact.body, fact.signature, now.timeIntervalSince1970])
                }
                try db.execute(
                    sql: "DELETE FROM peer_facts WHERE node_id = ? AND mutation_id <= ?", arguments: [node, acknowledged])
                try db.execute(
                    sql: """
                        INSERT INTO peers (node_id, name, cursor, last_contact_at, acknowledged_through, url, failing_since)
                        VALUES (?, ?, ?, ?, ?, ?, NULL)
                        ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, cursor = excluded.cursor,
                            last_contact_at = excluded.last_contact_at, acknowledged_through = excluded.acknowledged_through,
                            url = coalesce(excluded.url, peers.url), failing_since = NULL
                        """,
                    arguments: [
                        node, String(page.nodeName.prefix(100)), max(previous?["cursor"] ?? 0, page.cursor),
                        now.timeIntervalSince1970, acknowledged, url,
                    ])
                return recorded
            }
        } catch let error as PeerError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// The peers this node has followed, each with the base URL it last answered at.
    public func followedPeers() throws -> [(node: UUID, url: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT node_id, url FROM peers WHERE url IS NOT NULL ORDER BY name").compactMap { row in
                UUID(text: row["node_id"]).map { ($0, row["url"]) }
            }
        }
    }

    /// Notes that `peer` stopped answering (kept from the first failure until it answers again).
    public func peerFailing(_ peer: UUID, now: Date) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE peers SET failing_since = ? WHERE node_id = ? AND failing_since IS NULL",
                arguments: [now.timeIntervalSince1970, peer.text])
        }
    }

    /// Peers' facts received before `cutoff` that the server may not have, oldest first per
    /// peer, up to `limit`: what this node relays (sync-v2.md §6.4).
    public func factsToRelay(receivedBefore cutoff: Date, limit: Int) throws -> [SignedFact] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT node_id, mutation_id, kind, body, signature FROM peer_facts WHERE received_at <= ?
                    ORDER BY node_id, mutation_id LIMIT ?
                    """,
                arguments: [cutoff.timeIntervalSince1970, limit]
            ).compactMap { row in
                guard let node = UUID(text: row["node_id"]), let kind = SyncMutation.Kind(rawValue: row["kind"]) else { return nil }
                return SignedFact(nodeID: node, mutationID: row["mutation_id"], kind: kind, body: row["body"], signature: row["signature"])
            }
        }
    }

    /// Drops the relayed facts the server answered for (whatever the answer: applied,
    /// duplicate, conflict or rejected — none is ever sent again). Returns how many.
    @discardableResult
    public func relayed(_ response: RelayResponse) throws -> Int {
        try writer.write { db in
            var dropped = 0
            for result in response.results {
                try db.cachedStatement(sql: "DELETE FROM peer_facts WHERE node_id = ? AND mutation_id = ?")
                    .execute(arguments: [result.nodeID.text, result.mutationID])
                dropped += db.changesCount
            }
            return dropped
        }
    }

    /// The device key of `node` if this node holds a device certificate for it, for this
    /// venue, valid at `now` — the only peers it believes.
    public func peerKey(_ node: UUID, now: Date) throws -> Curve25519.Signing.PublicKey? {
        try writer.read { db in
            let identity = try identityCache.identity { try Self.identity(db) }
            let version = try Int64.fetchOne(db, sql: "SELECT replica_version FROM sync_state WHERE id = 1") ?? 0
            let context = try verifierCache.context(version: version) { try Self.verifierContext(db, venueID: identity.venueID) }
            return context.trust.certificates.first {
                $0.claims.nodeID == node && $0.claims.venueID == identity.venueID && $0.claims.notAfter > now
            }?.claims.devicePublicKey
        }
    }

    /// The name of `node`: this node's own, or a peer's it has followed; nil for any other.
    public func nodeName(_ node: UUID) throws -> String? {
        try writer.read { db in
            let identity = try identityCache.identity { try Self.identity(db) }
            if node == identity.nodeID { return identity.name }
            return try String.fetchOne(db, sql: "SELECT name FROM peers WHERE node_id = ?", arguments: [node.text])
        }
    }

    /// This node's device key and identity, to sign its peer requests and answers.
    public func peerIdentity() throws -> NodeIdentity {
        try writer.read { db in try identityCache.identity { try Self.identity(db) } }
    }
}

/// Why a peer's answer or request was not believed.
public enum PeerError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsigned
    case staleTime
    case unknownPeer(UUID)
    case badSignature
    case invalidPage(String)
    case storage(String)

    public var description: String {
        switch self {
        case .unsigned: "the message is not signed (Spot-Peer-Node, Spot-Peer-Time, Spot-Peer-Signature)"
        case .staleTime: "the message's time is more than 60 s from this node's clock"
        case .unknownPeer(let node): "node \(node.lowercasedText) holds no device certificate of this venue here"
        case .badSignature: "the signature does not verify with the sender's certified device key"
        case .invalidPage(let what): "the peer's page is invalid: \(what)"
        case .storage(let what): "the peer's scans could not be stored: \(what)"
        }
    }
}
