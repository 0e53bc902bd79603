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
        try writer.write { db in try recordScan(payload: payload, gate: gate, direction: direction, now: now, db) }
    }

    /// ``recordScan(payload:gate:direction:now:)`` without blocking a thread of the
    /// concurrency pool while another scan holds the writer (the node's HTTP handlers use this).
    public func recordScan(payload: String, gate: String, direction: ScanDirection, now: Date) async throws -> ScanOutcome {
        try await writer.write { db in try recordScan(payload: payload, gate: gate, direction: direction, now: now, db) }
    }

    private func recordScan(
        payload: String, gate: String, direction: ScanDirection, now: Date, _ db: GRDB.Database
    ) throws -> ScanOutcome {
        let identity = try identityCache.identity { try Self.identity(db) }
        var state = try Self.state(db)
        let context = try verifierCache.context(version: state.replicaVersion) {
            try Self.verifierContext(db, venueID: identity.venueID)
        }
        let claims = (try? SignedTicket(text: payload))?.claims
        var revocations = RevocationList()
        var ledger = ScanLedger()
        if let claims {
            if let row = try RevocationRow.fetchOne(db, key: claims.ticketID.text),
                let reason = RevocationReason(rawValue: row.reason), let version = UInt32(exactly: row.issueVersion)
            {
                revocations.insert(Revocation(ticketID: claims.ticketID, issueVersion: version, reason: reason))
            }
            let scans = try ScanRow.filter(Column("ticket_id") == claims.ticketID.text && Column("verdict") == "ok")
                .fetchAll(db)
            for scan in scans { ledger.record(try scan.scanRecord()) }
        }
        let verifier = TicketVerifier(
            trust: context.trust, gate: GatePolicy(gate: gate, venueID: context.venueID, events: context.admissions))
        let result = verifier.verify(payload, direction: direction, at: now, revocations: revocations, scans: ledger)
        guard let claims, context.eventIDs.contains(claims.eventID) else {
            return ScanOutcome(result: result, scan: nil, conflicts: [])
        }
        let hlc = Self.tick(&state, now: now)
        var generator = SystemRandomNumberGenerator()
        let scan = SyncScan(
            id: UUID.version7(unixMilliseconds: hlc.wallMilliseconds, using: &generator), ticketID: claims.ticketID,
            issueVersion: claims.issueVersion, eventID: claims.eventID, direction: direction.rawValue, gate: gate,
            nodeID: identity.nodeID, hlc: hlc, verdict: result.verdict.code)
        try ScanRow(scan).insert(db)
        try Self.enqueue(.scan(scan), db, now: now)
        try state.update(db)
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
                eventID: event.id, isCancelled: event.status == "cancelled",
                reentryPolicy: ReentryPolicy(rawValue: event.reentryPolicy) ?? .singleEntry)
        }
        return VerifierContext(trust: try TrustStore(issuerKeys: keys, certificates: certificates), admissions: admissions, venueID: venueID)
    }

    static func conflicts(ticket: UUID, _ db: GRDB.Database) throws -> [SyncConflict] {
        try ConflictRow.filter(Column("ticket_id") == ticket.text).fetchAll(db).compactMap { row in
            try? SyncJSON.decoder.decode(SyncConflict.self, from: Data(row.body.utf8))
        }
    }
}
