import Crypto
import Foundation
import GRDB
import SpotCore
import SpotSync

/// Offline validation: the verdict function over the replica, and the scan recorded
/// with its outbox entry in the same transaction. Scans are serialized by SQLite's
/// single writer, so two gates of this node scanning one ticket admit it once.
extension NodeDatabase {
    /// A verdict and, when the ticket named one of the venue's events, the recorded scan.
    public struct ScanOutcome: Sendable {
        public let result: VerificationResult
        public let scan: SyncScan?
        /// Conflicts the server reported about this ticket (e.g. admitted at another node).
        public let conflicts: [SyncConflict]
    }

    /// Checks `payload` at `gate` and records the scan (admitted or not) and its outbox entry.
    public func recordScan(payload: String, gate: String, direction: ScanDirection, now: Date) throws -> ScanOutcome {
        try writer.write { db in
            try recordScan(payload: payload, prepared: nil, gate: gate, direction: direction, now: now, db)
        }
    }

    /// ``recordScan(payload:gate:direction:now:)`` for the node's HTTP handlers: the payload's
    /// signature is checked before the writer is taken (concurrently with other scans), and the
    /// writer is awaited without blocking a thread of the concurrency pool.
    public func recordScan(payload: String, gate: String, direction: ScanDirection, now: Date) async throws -> ScanOutcome {
        let prepared = verifierCache.latest.map { TicketVerifier(trust: $0.trust, gate: GatePolicy(gate: gate, events: nil)).prepare(payload) }
        return try await writer.write { db in
            try recordScan(payload: payload, prepared: prepared, gate: gate, direction: direction, now: now, db)
        }
    }

    /// The verdict and the writes, in the writer's transaction. Statements are cached: a
    /// scan holds the node's only writer, so every microsecond here limits scans per second.
    private func recordScan(
        payload: String, prepared: PreparedTicket?, gate: String, direction: ScanDirection, now: Date, _ db: GRDB.Database
    ) throws -> ScanOutcome {
        let identity = try identityCache.identity { try Self.identity(db) }
        guard let state = try Row.fetchOne(db.cachedStatement(sql: "SELECT replica_version, hlc FROM sync_state WHERE id = 1"))
        else { throw NodeDatabaseError.notEnrolled }
        let context = try verifierCache.context(version: state["replica_version"]) {
            try Self.verifierContext(db, venueID: identity.venueID)
        }
        let verifier = TicketVerifier(
            trust: context.trust, gate: GatePolicy(gate: gate, venueID: context.venueID, events: context.admissions))
        let ticket = prepared ?? verifier.prepare(payload)
        let claims = ticket.ticket?.claims
        var revocations = RevocationList()
        var ledger = ScanLedger()
        if let claims {
            let ticketID = claims.ticketID.text
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT issue_version, reason FROM revocations WHERE ticket_id = ?"), arguments: [ticketID]),
                let version = UInt32(exactly: row["issue_version"] as Int64)
            {
                revocations.insert(Revocation(
                    ticketID: claims.ticketID, issueVersion: version, reason: RevocationReason(wireValue: row["reason"])))
            }
            let scans = try ScanRow.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM scans WHERE ticket_id = ? AND verdict = 'ok'"), arguments: [ticketID])
            for scan in scans { ledger.record(try scan.scanRecord()) }
        }
        let result = verifier.verify(ticket, direction: direction, at: now, revocations: revocations, scans: ledger)
        guard let claims, context.eventIDs.contains(claims.eventID) else {
            return ScanOutcome(result: result, scan: nil, conflicts: [])
        }
        let hlc = Self.tick(after: state["hlc"], now: now)
        var generator = SystemRandomNumberGenerator()
        let scan = SyncScan(
            id: UUID.version7(unixMilliseconds: hlc.wallMilliseconds, using: &generator), ticketID: claims.ticketID,
            issueVersion: claims.issueVersion, eventID: claims.eventID, direction: direction, gate: gate,
            nodeID: identity.nodeID, hlc: hlc, verdict: result.verdict.code)
        let row = ScanRow(scan)
        try db.cachedStatement(
            sql: """
                INSERT INTO scans (id, ticket_id, issue_version, direction, gate, node_id, hlc, verdict, event_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            row.id, row.ticketID, row.issueVersion, row.direction.rawValue, row.gate, row.nodeID, row.hlc, row.verdict.rawValue,
            row.eventID,
        ])
        try Self.enqueue(.scan(scan), db, now: now)
        try db.cachedStatement(sql: "UPDATE sync_state SET hlc = ? WHERE id = 1").execute(arguments: [Int64(bitPattern: hlc.packed)])
        return ScanOutcome(result: result, scan: scan, conflicts: try Self.conflicts(ticket: claims.ticketID, db))
    }

    static func verifierContext(_ db: GRDB.Database, venueID: UUID) throws -> VerifierContext {
        let keys = try IssuerKeyRow.fetchAll(db).compactMap { row -> IssuerKey? in
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: row.publicKey) else { return nil }
            return IssuerKey(publicKey: key, status: row.verifiesUntil.map { .retired(verifiesUntil: $0) } ?? .active)
        }
        let certificates = try DeviceCertificateRow.fetchAll(db).compactMap { try? DeviceCertificate(bytes: Array($0.certificate)) }
        let admissions = try EventRow.filter(Column("venue_id") == venueID.text).fetchAll(db).map { event in
            EventAdmission(
                eventID: event.id, isCancelled: event.status == .cancelled, reentryPolicy: event.reentryPolicy)
        }
        return VerifierContext(trust: try TrustStore(issuerKeys: keys, certificates: certificates), admissions: admissions, venueID: venueID)
    }

    static func conflicts(ticket: UUID, _ db: GRDB.Database) throws -> [SyncConflict] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT body FROM conflicts WHERE ticket_id = ?"), arguments: [ticket.text])
            .compactMap { body in try? SyncJSON.decoder.decode(SyncConflict.self, from: Data(body.utf8)) }
    }
}
