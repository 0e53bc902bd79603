import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Online check-in at a door: the same verdict function the venue nodes run offline,
/// fed from PostgreSQL — the organizer's key ring, the ticket's revocations and its
/// accepted scans — under a per-ticket lock, so two doors checking one ticket at the
/// same moment admit it once. Every decodable scan is recorded, admitted or not.
package struct CheckInService: Sendable {
    /// The node id online check-ins are recorded under (the server itself).
    package static let serverNodeID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    let database: Database

    struct Outcome: Sendable {
        let result: VerificationResult
        let scanID: UUID?
    }

    /// Checks `payload` at `gate` for a caller who may check in the events of `organizers`
    /// (nil: any organizer, for admins).
    func checkIn(
        payload: String, gate: String, direction: ScanDirection, organizers: Set<UUID>?, recordedBy: UUID, now: Date,
        logger: Logger
    ) async throws -> Outcome {
        let decoded = try? SignedTicket(text: payload)
        return try await database.withTransaction(logger: logger) { connection in
            guard let claims = decoded?.claims else {
                // Not decodable: the verdict needs no database state, and there is nothing to record.
                let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: []), gate: GatePolicy(gate: gate, events: []))
                return Outcome(
                    result: verifier.verify(payload, direction: direction, at: now, revocations: RevocationList(), scans: ScanLedger()),
                    scanID: nil)
            }
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended('ticket:' || \(claims.ticketID.uuidString), 0))", logger: logger)
            let eventRows = try await connection.query(
                "SELECT organizer_id, status, reentry_policy FROM events WHERE id = \(claims.eventID)", logger: logger)
            var event: (UUID, String, String)?
            for try await row in eventRows.decode((UUID, String, String).self) { event = row }
            var admissions: [EventAdmission] = []
            var trusted: [IssuerKey] = []
            if let (organizer, status, reentry) = event {
                // The server trusts every organizer's keys, so a genuine ticket of another
                // organizer's event is reported as wrong_event, not unknown_key.
                trusted = try await IssuerKeyRepository.publicKeys(organizers: [organizer], on: connection, logger: logger)
                if status != "draft", organizers.map({ $0.contains(organizer) }) ?? true {
                    admissions.append(EventAdmission(
                        eventID: claims.eventID, isCancelled: status == "cancelled",
                        reentryPolicy: ReentryPolicy(wireValue: reentry)))
                }
            }
            let revocations = try await Self.revocations(of: claims.ticketID, on: connection, logger: logger)
            let scans = try await Self.acceptedScans(of: claims.ticketID, on: connection, logger: logger)
            let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: trusted), gate: GatePolicy(gate: gate, events: admissions))
            let result = verifier.verify(payload, direction: direction, at: now, revocations: revocations, scans: scans)
            // Scans are recorded for published and cancelled events the caller checks in for only: a
            // draft has no genuine tickets and may still be deleted (scans carry no foreign key;
            // migration 8), and another organizer's event is none of this door's business.
            guard admissions.contains(where: { $0.eventID == claims.eventID }) else {
                return Outcome(result: result, scanID: nil)
            }
            let scanID = UUID.now(now)
            try await connection.query(
                """
                INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict,
                                   recorded_by)
                VALUES (\(scanID), \(claims.ticketID), \(Int(claims.issueVersion)), \(claims.eventID), \(direction.rawValue),
                        \(gate), \(Self.serverNodeID),
                        \(Int64(bitPattern: HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000)).packed)),
                        \(now), \(result.verdict.code.rawValue), \(recordedBy))
                """, logger: logger)
            return Outcome(result: result, scanID: scanID)
        }
    }

    static func revocations(of ticket: UUID, on connection: PostgresConnection, logger: Logger) async throws -> RevocationList {
        let rows = try await connection.query(
            "SELECT issue_version, reason FROM revocations WHERE ticket_id = \(ticket)", logger: logger)
        var list = RevocationList()
        for try await (version, reason) in rows.decode((Int, String).self) {
            // A version that does not fit a ticket revokes every version; an unknown reason still revokes.
            list.insert(Revocation(
                ticketID: ticket, issueVersion: UInt32(exactly: version) ?? .max, reason: RevocationReason(wireValue: reason)))
        }
        return list
    }

    static func acceptedScans(of ticket: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ScanLedger {
        let rows = try await connection.query(
            """
            SELECT id, issue_version, direction, gate, node_id, hlc FROM scans
            WHERE ticket_id = \(ticket) AND verdict = 'ok'
            """, logger: logger)
        var ledger = ScanLedger()
        for try await (id, version, direction, gate, node, hlc) in rows.decode((UUID, Int, String, String, UUID, Int64).self) {
            guard let direction = ScanDirection(rawValue: direction), let version = UInt32(exactly: version) else { continue }
            ledger.record(ScanRecord(
                scanID: id, ticketID: ticket, issueVersion: version, direction: direction, gate: gate, nodeID: node,
                at: HLCTimestamp(packed: UInt64(bitPattern: hlc))))
        }
        return ledger
    }
}
