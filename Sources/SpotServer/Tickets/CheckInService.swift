import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Online check-in at a door: the same verdict function the venue nodes run offline, fed
/// from PostgreSQL — the ticket's revocations and accepted scans, read under a per-ticket lock
/// so two doors checking one ticket at the same moment admit it once — and from
/// ``CheckInFacts`` — the event and the organizer's key ring, kept in the process while
/// PostgreSQL's notifications say what changed. Every decodable scan is recorded, admitted or not.
package struct CheckInService: Sendable {
    /// The node id online check-ins are recorded under (the server itself).
    package static let serverNodeID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    let database: Database
    let facts: CheckInFacts

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
            var admissions: [EventAdmission] = []
            var trusted: [IssuerKey] = []
            let event = try await event(claims.eventID, on: connection, logger: logger)
            if let event {
                // The server trusts every organizer's keys, so a genuine ticket of another
                // organizer's event is reported as wrong_event, not unknown_key.
                trusted = try await keys(of: event.organizer, on: connection, logger: logger)
                if event.status != "draft", organizers.map({ $0.contains(event.organizer) }) ?? true {
                    admissions.append(EventAdmission(
                        eventID: claims.eventID, isCancelled: event.status == "cancelled",
                        reentryPolicy: ReentryPolicy(wireValue: event.reentry)))
                }
            }
            let (revocations, scans) = try await Self.history(of: claims.ticketID, on: connection, logger: logger)
            func verify(_ trusted: [IssuerKey]) throws -> VerificationResult {
                try TicketVerifier(trust: TrustStore(issuerKeys: trusted), gate: GatePolicy(gate: gate, events: admissions))
                    .verify(payload, direction: direction, at: now, revocations: revocations, scans: scans)
            }
            var result = try verify(trusted)
            if result.verdict.code == .unknownKey, let event {
                // A key made a moment ago may not have reached what this replica keeps yet: ask the database.
                result = try verify(try await IssuerKeyRepository.publicKeys(organizers: [event.organizer], on: connection, logger: logger))
            }
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

    /// The event as ``CheckInFacts`` keeps it, else read (and kept).
    private func event(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> CheckInFacts.Event? {
        if let kept = facts.event(id) { return kept }
        let generation = facts.generation
        let rows = try await connection.query(
            "SELECT organizer_id, status, reentry_policy FROM events WHERE id = \(id)", logger: logger)
        for try await (organizer, status, reentry) in rows.decode((UUID, String, String).self) {
            let event = CheckInFacts.Event(organizer: organizer, status: status, reentry: reentry)
            facts.keep(event, for: id, readAt: generation)
            return event
        }
        return nil
    }

    /// The organizer's key ring as ``CheckInFacts`` keeps it, else read (and kept).
    private func keys(of organizer: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [IssuerKey] {
        if let kept = facts.keys(of: organizer) { return kept }
        let generation = facts.generation
        let keys = try await IssuerKeyRepository.publicKeys(organizers: [organizer], on: connection, logger: logger)
        facts.keep(keys, of: organizer, readAt: generation)
        return keys
    }

    /// The ticket's revocations and accepted scans, in one read.
    static func history(
        of ticket: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (RevocationList, ScanLedger) {
        let rows = try await connection.query(
            """
            SELECT issue_version, reason, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::bigint
            FROM revocations WHERE ticket_id = \(ticket)
            UNION ALL
            SELECT issue_version, NULL, id, direction, gate, node_id, hlc FROM scans WHERE ticket_id = \(ticket) AND verdict = 'ok'
            """, logger: logger)
        var revocations = RevocationList()
        var ledger = ScanLedger()
        for try await (version, reason, id, direction, gate, node, hlc) in rows.decode(
            (Int, String?, UUID?, ScanDirection?, String?, UUID?, Int64?).self)
        {
            if let reason {
                // A version that does not fit a ticket revokes every version; an unknown reason still revokes.
                revocations.insert(Revocation(
                    ticketID: ticket, issueVersion: UInt32(exactly: version) ?? .max, reason: RevocationReason(wireValue: reason)))
            } else {
                guard let id, let direction, let gate, let node, let hlc, let version = UInt32(exactly: version) else {
                    throw InternalInconsistency("an accepted scan of ticket \(ticket) is incomplete")
                }
                ledger.record(ScanRecord(
                    scanID: id, ticketID: ticket, issueVersion: version, direction: direction, gate: gate, nodeID: node,
                    at: HLCTimestamp(packed: UInt64(bitPattern: hlc))))
            }
        }
        return (revocations, ledger)
    }
}
