import Crypto
import Foundation
import GRDB
import SpotCore
import SpotSync

/// The venue mesh's storage (peer protocol v1): this node's own scans, read by its peers in
/// HLC order, and the scans of its peers, recorded as the server's feed records them — so a
/// ticket admitted at a peer's door is `already_admitted` here — with a cursor per peer.
extension NodeDatabase {
    /// This node's own scans after the HLC `after` (packed), oldest first, up to `limit`.
    public func ownScans(after: Int64, limit: Int) throws -> (identity: NodeIdentity, scans: [SyncScan], hasMore: Bool) {
        try writer.read { db in
            let identity = try Self.identity(db)
            let rows = try ScanRow.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM scans WHERE node_id = ? AND hlc > ? ORDER BY hlc LIMIT ?"),
                arguments: [identity.nodeID.text, after, limit + 1])
            let scans = try rows.prefix(limit).map { try $0.syncScan() }
            return (identity, scans, rows.count > limit)
        }
    }

    /// Where reading `peer`'s scans continues (0: from its first).
    public func peerCursor(_ peer: UUID) throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT cursor FROM peers WHERE node_id = ?", arguments: [peer.text]) ?? 0
        }
    }

    /// Records a page of `page.nodeID`'s own scans and moves its cursor (never back: a follower
    /// that restarts reads from the start once), in one transaction. A scan that names another
    /// node refuses the whole page.
    @discardableResult
    public func applyPeerScans(_ page: PeerFactsPage, now: Date) throws(PeerError) -> Int {
        guard let cursor = Int64(page.cursor), cursor >= 0 else { throw .invalidPage("cursor \(page.cursor.prefix(30))") }
        guard page.scans.allSatisfy({ $0.nodeID == page.nodeID }) else { throw .invalidPage("a scan of another node") }
        do {
            return try writer.write { db in
                let previous = try Int64.fetchOne(db, sql: "SELECT cursor FROM peers WHERE node_id = ?", arguments: [page.nodeID.text]) ?? 0
                var recorded = 0
                for scan in page.scans {
                    try ScanRow(scan).insert(db, onConflict: .ignore)
                    recorded += db.changesCount
                }
                try db.execute(
                    sql: """
                        INSERT INTO peers (node_id, name, cursor, last_contact_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, cursor = excluded.cursor,
                            last_contact_at = excluded.last_contact_at
                        """,
                    arguments: [page.nodeID.text, String(page.nodeName.prefix(100)), max(previous, cursor), now.timeIntervalSince1970])
                return recorded
            }
        } catch let error as PeerError {
            throw error
        } catch {
            throw .storage("\(error)")
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
