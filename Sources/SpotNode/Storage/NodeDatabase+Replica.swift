import Foundation
import GRDB
import SpotCore
import SpotSync

/// Applying what the server sends: a snapshot (bootstrap) or a page of the change feed,
/// each in one SQLite transaction together with its cursor, so a crash at any point
/// leaves either the old state and cursor or the new ones.
extension NodeDatabase {
    /// What applying a snapshot or page did.
    public struct ApplyOutcome: Sendable, Equatable {
        /// False when another sync moved the cursor first (this page was discarded).
        public var applied: Bool
        public var changes: Int
    }

    /// Replaces the replica with `snapshot`: events, ticket types, tickets, revocations,
    /// accepted scans (this node's own are kept, and its peers' that the server may not have),
    /// conflicts, trust, allotments, cursor.
    @discardableResult
    public func applySnapshot(_ snapshot: Snapshot, now: Date) throws -> ApplyOutcome {
        let tickets = try snapshot.tickets.decoded()
        let trust = try snapshot.trust.trustStore()
        return try writer.write { db in
            let identity = try Self.identity(db)
            for table in ["events", "ticket_types", "tickets", "revocations", "conflicts"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            try db.execute(sql: "DELETE FROM scans WHERE node_id <> ?", arguments: [identity.nodeID.text])
            // Peers' scans the server may not have yet stay in the verdict (their facts are kept for relay).
            for body in try String.fetchAll(db, sql: "SELECT body FROM peer_facts WHERE kind = 'scan'") {
                if let scan = try? SyncJSON.decoder.decode(SyncScan.self, from: Data(body.utf8)) { try Self.insert(scan, db) }
            }
            for event in snapshot.events { try Self.upsert(event, db) }
            for type in snapshot.ticketTypes { try Self.upsert(type, db) }
            let insertTicket = try db.makeStatement(
                sql: "INSERT OR REPLACE INTO tickets (id, event_id, ticket_type_id, issue_version, status) VALUES (?, ?, ?, ?, ?)")
            let insertRevocation = try db.makeStatement(
                sql: "INSERT OR REPLACE INTO revocations (ticket_id, issue_version, reason) VALUES (?, ?, ?)")
            // A venue has few events and types: format each of their ids once.
            var texts: [UUID: String] = [:]
            func text(_ id: UUID) -> String {
                if let known = texts[id] { return known }
                let formatted = id.text
                texts[id] = formatted
                return formatted
            }
            for ticket in tickets {
                let id = ticket.id.text
                let revoked = ticket.revocation.map { $0.issueVersion >= ticket.issueVersion } ?? false
                insertTicket.setUncheckedArguments([
                    id, text(ticket.eventID), text(ticket.ticketTypeID), Int64(ticket.issueVersion), revoked ? "revoked" : "valid",
                ])
                try insertTicket.execute()
                if let revocation = ticket.revocation {
                    insertRevocation.setUncheckedArguments([id, Int64(revocation.issueVersion), revocation.reason.rawValue])
                    try insertRevocation.execute()
                }
            }
            for scan in snapshot.scans { try Self.insert(scan, db) }
            for conflict in snapshot.conflicts { try Self.upsert(conflict, db) }
            try Self.replaceTrust(trust, db)
            try Self.replaceAllotments(snapshot.allotments, lastMutationID: snapshot.lastMutationID, db)
            var state = try Self.state(db)
            state.cursor = snapshot.cursor
            state.lastPullAt = now
            state.replicaVersion += 1
            state.protocolVersion = snapshot.protocolVersion
            Self.advanceClock(&state, serverTime: snapshot.serverTime, now: now)
            if let credential = snapshot.credential {
                state.token = credential.token
                state.tokenExpiresAt = credential.expiresAt
            }
            try state.update(db)
            return ApplyOutcome(
                applied: true, changes: snapshot.events.count + snapshot.ticketTypes.count + tickets.count + snapshot.scans.count)
        }
    }

    /// Applies one page of the feed if the node's cursor is still `expectedCursor`
    /// (otherwise a concurrent sync applied it already, and it is discarded).
    @discardableResult
    public func applyPage(_ page: PullPage, expectedCursor: String, now: Date) throws -> ApplyOutcome {
        let trust = try page.trust.trustStore()
        return try writer.write { db in
            var state = try Self.state(db)
            guard state.cursor == expectedCursor else { return ApplyOutcome(applied: false, changes: 0) }
            let identity = try Self.identity(db)
            for change in page.changes {
                switch change {
                case .event(let event):
                    if event.venueID == identity.venueID, event.status != .withdrawn {
                        try Self.upsert(event, db)
                    } else {
                        try Self.remove(event: event.id, keepingFactsOf: identity.nodeID, db)
                    }
                case .ticketType(let type): try Self.upsert(type, db)
                case .ticket(let ticket): try Self.upsert(ticket, db)
                case .scan(let scan): try Self.insert(scan, db)
                case .conflict(let conflict): try Self.upsert(conflict, db)
                }
            }
            let trustChanged = try Self.replaceTrust(trust, db)
            try Self.replaceAllotments(page.allotments, lastMutationID: page.lastMutationID, db)
            state.cursor = page.cursor
            state.lastPullAt = now
            state.protocolVersion = page.protocolVersion
            if !page.changes.isEmpty || trustChanged { state.replicaVersion += 1 }
            Self.advanceClock(&state, serverTime: page.serverTime, now: now)
            if let credential = page.credential {
                state.token = credential.token
                state.tokenExpiresAt = credential.expiresAt
            }
            try state.update(db)
            return ApplyOutcome(applied: true, changes: page.changes.count)
        }
    }

    /// An event leaves the replica (sync-v2.md §5.3) with everything of it — ticket types,
    /// tickets, revocations, other nodes' scans, conflicts — but this node's own facts
    /// (scans, door sales), which it must still push.
    static func remove(event: UUID, keepingFactsOf node: UUID, _ db: GRDB.Database) throws {
        let id = event.text
        try db.execute(sql: "DELETE FROM revocations WHERE ticket_id IN (SELECT id FROM tickets WHERE event_id = ?)", arguments: [id])
        for sql in ["DELETE FROM tickets WHERE event_id = ?", "DELETE FROM ticket_types WHERE event_id = ?",
                    "DELETE FROM conflicts WHERE json_extract(body, '$.event_id') = ?", "DELETE FROM events WHERE id = ?"] {
            try db.execute(sql: sql, arguments: [id])
        }
        try db.execute(sql: "DELETE FROM scans WHERE event_id = ? AND node_id <> ?", arguments: [id, node.text])
    }

    /// Forgets the cursor, so the next sync bootstraps from a snapshot.
    public func resetCursor() throws {
        try writer.write { db in
            var state = try Self.state(db)
            state.cursor = nil
            try state.update(db)
        }
    }

    // MARK: Upserts

    static func upsert(_ event: SyncEvent, _ db: GRDB.Database) throws {
        try EventRow(
            id: event.id, venueID: event.venueID, title: event.title, startsAt: event.startsAt, endsAt: event.endsAt,
            status: event.status, reentryPolicy: event.reentryPolicy
        ).save(db)
    }

    static func upsert(_ type: SyncTicketType, _ db: GRDB.Database) throws {
        try TicketTypeRow(
            id: type.id, eventID: type.eventID, name: type.name, priceMinor: type.priceMinor, currency: type.currency
        ).save(db)
    }

    static func upsert(_ ticket: SyncTicket, _ db: GRDB.Database) throws {
        let revoked = ticket.revocation.map { $0.issueVersion >= ticket.issueVersion } ?? false
        try TicketRow(
            id: ticket.id, eventID: ticket.eventID, ticketTypeID: ticket.ticketTypeID,
            issueVersion: Int64(ticket.issueVersion), status: revoked ? "revoked" : "valid"
        ).save(db)
        if let revocation = ticket.revocation {
            try RevocationRow(
                ticketID: ticket.id, issueVersion: Int64(revocation.issueVersion), reason: revocation.reason
            ).save(db)
        }
    }

    static func insert(_ scan: SyncScan, _ db: GRDB.Database) throws {
        try ScanRow(scan).insert(db, onConflict: .ignore)
    }

    static func upsert(_ conflict: SyncConflict, _ db: GRDB.Database) throws {
        let body = String(decoding: try SyncJSON.encoder.encode(conflict), as: UTF8.self)
        try ConflictRow(id: conflict.id, ticketID: conflict.ticketID, body: body).save(db)
    }

    /// Replaces the issuer keys and device certificates; true when they differ from those held
    /// (the verdict's cached trust must then be rebuilt: a new peer, a rotated or retired key).
    @discardableResult
    static func replaceTrust(_ trust: TrustStore, _ db: GRDB.Database) throws -> Bool {
        let keys = trust.issuerKeys.map { key -> IssuerKeyRow in
            let until: Date? = if case .retired(let until) = key.status { until } else { nil }
            return IssuerKeyRow(
                keyID: key.keyID.hex, publicKey: key.publicKey.rawRepresentation, status: until == nil ? "active" : "retired",
                verifiesUntil: until)
        }
        var certificates: [String: DeviceCertificateRow] = [:]
        for certificate in trust.certificates {
            certificates[certificate.deviceKeyID.hex] = DeviceCertificateRow(
                deviceKeyID: certificate.deviceKeyID.hex, nodeID: certificate.claims.nodeID,
                notAfter: certificate.claims.notAfter, certificate: Data(certificate.bytes))
        }
        let heldKeys = try IssuerKeyRow.fetchAll(db)
        let heldCertificates = try DeviceCertificateRow.fetchAll(db)
        let changed =
            Set(heldKeys.map { "\($0.keyID) \($0.status) \($0.verifiesUntil?.timeIntervalSince1970 ?? -1)" })
                != Set(keys.map { "\($0.keyID) \($0.status) \($0.verifiesUntil?.timeIntervalSince1970 ?? -1)" })
            || Set(heldCertificates.map(\.certificate)) != Set(certificates.values.map(\.certificate))
        guard changed else { return false }
        try db.execute(sql: "DELETE FROM issuer_keys; DELETE FROM device_certificates")
        for key in keys { try key.insert(db) }
        for certificate in certificates.values { try certificate.save(db) }
        return true
    }

    static func replaceAllotments(_ allotments: [SyncAllotment], lastMutationID: Int64, _ db: GRDB.Database) throws {
        try db.execute(sql: "DELETE FROM allotments")
        for allotment in allotments {
            try AllotmentRow(
                ticketTypeID: allotment.ticketTypeID, eventID: allotment.eventID, granted: allotment.granted,
                serverSold: allotment.sold, asOfMutationID: lastMutationID
            ).insert(db)
        }
    }

    /// Moves the hybrid logical clock past the server's time and records the offset
    /// (this node's wall clock minus the server's). A server time implausibly far ahead
    /// is refused by the clock and reported instead.
    static func advanceClock(_ state: inout SyncStateRow, serverTime: HLCTimestamp, now: Date) {
        let physical = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        state.clockOffsetMs = physical - serverTime.wallMilliseconds
        var clock = HybridLogicalClock(last: HLCTimestamp(packed: UInt64(bitPattern: state.hlc)))
        do {
            state.hlc = Int64(bitPattern: try clock.update(remote: serverTime, physicalMilliseconds: physical).packed)
            state.clockSkewError = nil
        } catch {
            state.clockSkewError = error.description
        }
    }

    /// The next reading of the node's hybrid logical clock, persisted with the caller's transaction.
    static func tick(_ state: inout SyncStateRow, now: Date) -> HLCTimestamp {
        let reading = tick(after: state.hlc, now: now)
        state.hlc = Int64(bitPattern: reading.packed)
        return reading
    }

    /// The clock's next reading after the stored (packed) one.
    static func tick(after stored: Int64, now: Date) -> HLCTimestamp {
        var clock = HybridLogicalClock(last: HLCTimestamp(packed: UInt64(bitPattern: stored)))
        return clock.now(physicalMilliseconds: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
