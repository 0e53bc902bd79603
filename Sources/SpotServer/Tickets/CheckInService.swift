import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Online check-in at a door: the same verdict function the venue nodes run offline, fed
/// from PostgreSQL — the ticket's revocations and accepted scans, read under a per-ticket lock
/// so two doors checking one ticket at the same moment admit it once — and from
/// ``CheckInFacts`` — the event and the organizer's key ring, kept in the process while
/// PostgreSQL's notifications say what changed. Every decodable scan is recorded, admitted or not.
///
/// Each request checks its ticket's signature itself; check-ins that arrive together are then
/// decided together (``Batcher``): one transaction locks their tickets, reads their histories in
/// one statement and records their scans in another, in arrival order — a ticket checked twice
/// in one batch is decided twice, the second time knowing the first.
package struct CheckInService: Sendable {
    /// The node id online check-ins are recorded under (the server itself).
    package static let serverNodeID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    /// At most this many check-ins are decided in one transaction.
    static let batchCapacity = 64
    /// One such transaction at a time (per server process): while it runs the next batch gathers.
    /// Measured with `spot bench commerce` (8 door connections): two at once cost about 2.2 ms of
    /// the machine's CPU per check-in, four 2.8 ms, one 1.7 ms, and one admitted the most a second.
    static let concurrentBatches = 1

    let database: Database
    let facts: CheckInFacts
    let batcher: Batcher<CheckIn, Outcome>

    struct Outcome: Sendable {
        let result: VerificationResult
        let scanID: UUID?
    }

    /// One decodable check-in waiting for its batch, its signature already checked.
    struct CheckIn: Sendable {
        let prepared: PreparedTicket
        let claims: TicketClaims
        /// The ticket's event, if it exists, as ``CheckInFacts`` keeps it.
        let event: CheckInFacts.Event?
        /// The keys the signature was checked against: the event's organizer's.
        let trust: TrustStore
        let gate: String
        let direction: ScanDirection
        let organizers: Set<UUID>?
        let recordedBy: UUID
        let now: Date
    }

    init(database: Database, facts: CheckInFacts) {
        self.database = database
        self.facts = facts
        batcher = Batcher(capacity: Self.batchCapacity, concurrency: Self.concurrentBatches)
    }

    /// Checks `payload` at `gate` for a caller who may check in the events of `organizers`
    /// (nil: any organizer, for admins).
    func checkIn(
        payload: String, gate: String, direction: ScanDirection, organizers: Set<UUID>?, recordedBy: UUID, now: Date,
        logger: Logger
    ) async throws -> Outcome {
        guard let ticket = try? SignedTicket(text: payload) else {
            // Not decodable: the verdict needs no database state, and there is nothing to record.
            let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: []), gate: GatePolicy(gate: gate, events: []))
            return Outcome(
                result: verifier.verify(payload, direction: direction, at: now, revocations: RevocationList(), scans: ScanLedger()),
                scanID: nil)
        }
        // The state-free part of the verdict — the signature, one Ed25519 verification — is
        // checked here, concurrently with other requests, not in the batch that holds the locks.
        let claims = ticket.claims
        let event = try await event(claims.eventID, logger: logger)
        // The server trusts every organizer's keys, so a genuine ticket of another organizer's
        // event is reported as wrong_event, not unknown_key.
        var trusted: [IssuerKey] = []
        if let event { trusted = try await keys(of: event.organizer, logger: logger) }
        let trust = try TrustStore(issuerKeys: trusted)
        let checkIn = CheckIn(
            prepared: TicketVerifier(trust: trust, gate: GatePolicy(gate: gate, events: [])).prepare(ticket), claims: claims,
            event: event, trust: trust, gate: gate, direction: direction, organizers: organizers, recordedBy: recordedBy,
            now: now)
        return try await batcher.submit(checkIn) { batch in try await decide(batch, logger: logger) }
    }

    /// Decides `batch` in one transaction: the tickets locked (in a fixed order, as pushes lock
    /// them), their histories read, each check-in verified in turn, the scans recorded.
    private func decide(_ batch: [CheckIn], logger: Logger) async throws -> [Outcome] {
        try await database.withTransaction(logger: logger) { connection in
            let tickets = Array(Set(batch.map(\.claims.ticketID)))
            try await Self.lock(tickets, on: connection, logger: logger)
            let (revocations, history) = try await Self.history(of: tickets, on: connection, logger: logger)
            var scans = history
            var outcomes: [Outcome] = []
            // The scans to record, with their events, verdicts and recorders.
            var recorded: [ScanRecord] = []
            var events: [UUID] = []
            var verdicts: [String] = []
            var recorders: [UUID] = []
            for checkIn in batch {
                let claims = checkIn.claims
                var admissions: [EventAdmission] = []
                if let event = checkIn.event, event.status != "draft",
                    checkIn.organizers.map({ $0.contains(event.organizer) }) ?? true
                {
                    admissions.append(EventAdmission(
                        eventID: claims.eventID, isCancelled: event.status == "cancelled",
                        reentryPolicy: ReentryPolicy(wireValue: event.reentry)))
                }
                func verify(_ trust: TrustStore) -> VerificationResult {
                    TicketVerifier(trust: trust, gate: GatePolicy(gate: checkIn.gate, events: admissions))
                        .verify(checkIn.prepared, direction: checkIn.direction, at: checkIn.now, revocations: revocations, scans: scans)
                }
                var result = verify(checkIn.trust)
                if result.verdict.code == .unknownKey, let event = checkIn.event {
                    // A key made a moment ago may not have reached what this replica keeps yet: ask the database.
                    result = verify(try TrustStore(
                        issuerKeys: try await IssuerKeyRepository.publicKeys(organizers: [event.organizer], on: connection, logger: logger)))
                }
                // Scans are recorded for published and cancelled events the caller checks in for only: a
                // draft has no genuine tickets and may still be deleted (scans carry no foreign key;
                // migration 8), and another organizer's event is none of this door's business.
                guard admissions.contains(where: { $0.eventID == claims.eventID }) else {
                    outcomes.append(Outcome(result: result, scanID: nil))
                    continue
                }
                let scan = ScanRecord(
                    scanID: UUID.now(checkIn.now), ticketID: claims.ticketID, issueVersion: claims.issueVersion,
                    direction: checkIn.direction, gate: checkIn.gate, nodeID: Self.serverNodeID,
                    at: HLCTimestamp(wallMilliseconds: Int64(checkIn.now.timeIntervalSince1970 * 1000)))
                if result.verdict.code == .ok { scans.record(scan) }
                recorded.append(scan)
                events.append(claims.eventID)
                verdicts.append(result.verdict.code.rawValue)
                recorders.append(checkIn.recordedBy)
                outcomes.append(Outcome(result: result, scanID: scan.scanID))
            }
            if !recorded.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict,
                                       recorded_by)
                    SELECT s.id, s.ticket, s.version, s.event, s.direction, s.gate, \(Self.serverNodeID), s.hlc,
                           to_timestamp((s.hlc >> 16) / 1000.0), s.verdict, s.recorder
                    FROM unnest(\(recorded.map(\.scanID)), \(recorded.map(\.ticketID)),
                                \(recorded.map { Int32(clamping: $0.issueVersion) }), \(events), \(recorded.map(\.direction.rawValue)),
                                \(recorded.map(\.gate)), \(recorded.map { Int64(bitPattern: $0.at.packed) }), \(verdicts), \(recorders))
                         AS s(id, ticket, version, event, direction, gate, hlc, verdict, recorder)
                    """, logger: logger)
            }
            return outcomes
        }
    }

    /// The event as ``CheckInFacts`` keeps it, else read (and kept).
    private func event(_ id: UUID, logger: Logger) async throws -> CheckInFacts.Event? {
        if let kept = facts.event(id) { return kept }
        let generation = facts.generation
        let rows = try await database.query(
            "SELECT organizer_id, status, reentry_policy FROM events WHERE id = \(id)", logger: logger)
        for try await (organizer, status, reentry) in rows.decode((UUID, String, String).self) {
            let event = CheckInFacts.Event(organizer: organizer, status: status, reentry: reentry)
            facts.keep(event, for: id, readAt: generation)
            return event
        }
        return nil
    }

    /// The organizer's key ring as ``CheckInFacts`` keeps it, else read (and kept).
    private func keys(of organizer: UUID, logger: Logger) async throws -> [IssuerKey] {
        if let kept = facts.keys(of: organizer) { return kept }
        let generation = facts.generation
        let keys = try await IssuerKeyRepository(database: database).publicKeys(organizer: organizer, logger: logger)
        facts.keep(keys, of: organizer, readAt: generation)
        return keys
    }

    /// Takes the per-ticket lock that online check-in and nodes' pushes both take before deciding
    /// about a ticket, for every ticket in `tickets`, in one fixed order (so two holders never deadlock).
    static func lock(_ tickets: [UUID], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            SELECT pg_advisory_xact_lock(k) FROM (
                SELECT DISTINCT hashtextextended('ticket:' || upper(t::text), 0) AS k FROM unnest(\(tickets)) t
                ORDER BY k) keys
            """, logger: logger)
    }

    /// The tickets' revocations and accepted scans, in one read.
    static func history(
        of tickets: [UUID], on connection: PostgresConnection, logger: Logger
    ) async throws -> (RevocationList, ScanLedger) {
        let rows = try await connection.query(
            """
            SELECT ticket_id, issue_version, reason, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::bigint
            FROM revocations WHERE ticket_id = ANY(\(tickets))
            UNION ALL
            SELECT ticket_id, issue_version, NULL, id, direction, gate, node_id, hlc FROM scans
            WHERE ticket_id = ANY(\(tickets)) AND verdict = 'ok'
            """, logger: logger)
        var revocations = RevocationList()
        var ledger = ScanLedger()
        for try await (ticket, version, reason, id, direction, gate, node, hlc) in rows.decode(
            (UUID, Int, String?, UUID?, ScanDirection?, String?, UUID?, Int64?).self)
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
