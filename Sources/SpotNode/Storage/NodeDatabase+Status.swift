import Foundation
import GRDB
import SpotCore
import SpotSync

/// What `spot node status` and the node's `/api/v1/status` report.
public struct NodeStatus: Codable, Sendable, Equatable {
    public struct Allotment: Codable, Sendable, Equatable {
        @LowercaseUUID public var ticketTypeID: UUID
        @LowercaseUUID public var eventID: UUID
        public var name: String
        public var granted: Int
        public var soldHere: Int
        public var remaining: Int
    }

    /// A node of the venue this one follows on the LAN (`--peer`), once it has answered.
    public struct Peer: Codable, Sendable, Equatable {
        @LowercaseUUID public var nodeID: UUID
        public var name: String
        /// When its last answer arrived (an idle peer answers a held request every 25 s).
        public var lastContactAt: Date
        /// Its facts held here that the server may not have yet (relayed after a while).
        public var toRelay: Int
        /// The base URL it last answered at (where a kiosk can switch to).
        public var url: String?
        /// It answered its last request and within the last 35 s (a hold is 25 s).
        public var inTouch: Bool
    }

    @LowercaseUUID public var nodeID: UUID
    public var name: String
    @LowercaseUUID public var venueID: UUID
    public var venueName: String
    public var serverURL: String
    /// Whether the last sync attempt reached the server.
    public var online: Bool
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastPullAt: Date?
    public var lastPushAt: Date?
    public var outboxDepth: Int
    public var rejectedMutations: Int
    /// This node's wall clock minus the server's at the last sync, in milliseconds.
    public var clockOffsetMs: Int64?
    public var clockSkewError: String?
    public var hlc: HLCTimestamp
    public var protocolVersion: Int?
    public var bootstrapped: Bool
    public var credentialExpiresAt: Date
    public var events: Int
    public var tickets: Int
    public var scans: Int
    public var doorSales: Int
    public var conflicts: Int
    public var allotments: [Allotment]
    public var peers: [Peer]
    /// What a kiosk does when this node stops answering: the node's override, else the venue's
    /// setting as the server last said it, else `offer`.
    public var kioskFailover: KioskFailover
}

extension NodeDatabase {
    /// A peer that has not answered for this long is out of touch (its held requests last 25 s).
    static let peerSilenceLimit: TimeInterval = 35

    public func status(now: Date = Date()) throws -> NodeStatus {
        try writer.read { db in
            let identity = try Self.identity(db)
            let state = try Self.state(db)
            var allotments: [NodeStatus.Allotment] = []
            for row in try AllotmentRow.order(Column("event_id"), Column("ticket_type_id")).fetchAll(db) {
                let name = try TicketTypeRow.fetchOne(db, key: row.ticketTypeID.text)?.name ?? "?"
                let sold = try Int.fetchOne(
                    db, sql: "SELECT coalesce(sum(quantity), 0) FROM door_sales WHERE ticket_type_id = ?",
                    arguments: [row.ticketTypeID.text]) ?? 0
                allotments.append(NodeStatus.Allotment(
                    ticketTypeID: row.ticketTypeID, eventID: row.eventID, name: name, granted: row.granted, soldHere: sold,
                    remaining: try Self.remaining(row.ticketTypeID, db)))
            }
            return NodeStatus(
                nodeID: identity.nodeID, name: identity.name, venueID: identity.venueID, venueName: identity.venueName,
                serverURL: identity.serverURL,
                online: state.lastError == nil && state.lastSuccessAt != nil,
                lastAttemptAt: state.lastAttemptAt, lastSuccessAt: state.lastSuccessAt, lastError: state.lastError,
                lastPullAt: state.lastPullAt, lastPushAt: state.lastPushAt, outboxDepth: try OutboxRow.fetchCount(db),
                rejectedMutations: try RejectedMutationRow.fetchCount(db), clockOffsetMs: state.clockOffsetMs,
                clockSkewError: state.clockSkewError, hlc: HLCTimestamp(packed: UInt64(bitPattern: state.hlc)),
                protocolVersion: state.protocolVersion, bootstrapped: state.cursor != nil,
                credentialExpiresAt: state.tokenExpiresAt, events: try EventRow.fetchCount(db),
                tickets: try TicketRow.fetchCount(db), scans: try ScanRow.fetchCount(db),
                doorSales: try DoorSaleRow.fetchCount(db), conflicts: try ConflictRow.fetchCount(db),
                allotments: allotments,
                peers: try Row.fetchAll(
                    db,
                    sql: """
                        SELECT node_id, name, last_contact_at, url, failing_since,
                               (SELECT count(*) FROM peer_facts f WHERE f.node_id = peers.node_id) AS to_relay
                        FROM peers ORDER BY name
                        """
                ).compactMap { row in
                    guard let id = UUID(text: row["node_id"]) else { return nil }
                    let contact = Date(timeIntervalSince1970: row["last_contact_at"])
                    let failing: Double? = row["failing_since"]
                    return NodeStatus.Peer(
                        nodeID: id, name: row["name"], lastContactAt: contact, toRelay: row["to_relay"], url: row["url"],
                        inTouch: failing == nil && now.timeIntervalSince(contact) < Self.peerSilenceLimit)
                },
                kioskFailover: try Self.venueKioskFailover(db))
        }
    }

    /// The venue's setting as the server last said it; `offer` until it has said. A value this
    /// build does not know is refused, not defaulted.
    static func venueKioskFailover(_ db: GRDB.Database) throws -> KioskFailover {
        guard let text = try String.fetchOne(db, sql: "SELECT venue_kiosk_failover FROM sync_state WHERE id = 1") else {
            return .offer
        }
        guard let setting = KioskFailover(rawValue: text) else {
            throw DatabaseError(message: "sync_state.venue_kiosk_failover holds \(text.prefix(20)), not \(KioskFailover.sentenceList)")
        }
        return setting
    }

    /// Keeps the venue's kiosk failover setting as the server last said it (``PeerDirectory``).
    public func setVenueKioskFailover(_ setting: KioskFailover) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE sync_state SET venue_kiosk_failover = ? WHERE id = 1", arguments: [setting.rawValue])
        }
    }

    /// The state sync needs: credential, cursor and the clock reading at `now`.
    public func syncState(now: Date = Date()) throws -> (token: String, cursor: String?, clock: SyncClockReading) {
        try writer.read { db in
            let state = try Self.state(db)
            return (state.token, state.cursor, SyncClockReading(
                hlc: HLCTimestamp(packed: UInt64(bitPattern: state.hlc)),
                wallMilliseconds: Int64((now.timeIntervalSince1970 * 1000).rounded(.down))))
        }
    }

    /// Records how a sync attempt ended (`error` nil: it reached the server and finished).
    public func recordSyncAttempt(error: String?, now: Date) throws {
        try writer.write { db in
            var state = try Self.state(db)
            state.lastAttemptAt = now
            state.lastError = error
            if error == nil { state.lastSuccessAt = now }
            try state.update(db)
        }
    }

    /// The venue's events and, per ticket type, what this node can still sell.
    public func catalogue() throws -> [(event: SyncEvent, types: [(type: SyncTicketType, remaining: Int)])] {
        try writer.read { db in
            try EventRow.order(Column("starts_at")).fetchAll(db).map { event in
                let types = try TicketTypeRow.filter(Column("event_id") == event.id.text).order(Column("price_minor"))
                    .fetchAll(db).map { type in
                        (SyncTicketType(id: type.id, eventID: type.eventID, name: type.name, priceMinor: type.priceMinor,
                                        currency: type.currency), try Self.remaining(type.id, db))
                    }
                return (SyncEvent(
                    id: event.id, venueID: event.venueID, title: event.title, startsAt: event.startsAt, endsAt: event.endsAt,
                    status: event.status, reentryPolicy: event.reentryPolicy), types)
            }
        }
    }

    /// The tickets the replica knows to be revoked (for convergence checks).
    public func revokedTickets() throws -> Set<UUID> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT ticket_id FROM revocations").compactMap(UUID.init(uuidString:)))
        }
    }

    /// The accepted entry scans' ticket ids (for convergence checks).
    public func admittedTickets() throws -> Set<UUID> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT ticket_id FROM scans WHERE verdict = 'ok' AND direction = 'entry'")
                .compactMap(UUID.init(uuidString:)))
        }
    }
}
