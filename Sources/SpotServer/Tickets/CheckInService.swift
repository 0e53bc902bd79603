import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Online check-in at a door: the same verdict function the venue nodes run offline, fed
/// from PostgreSQL — the ticket's revocations and accepted scans — and from ``CheckInFacts`` —
/// the event and the organizer's key ring, kept in the process while PostgreSQL's
/// notifications say what changed. Every decodable scan is recorded, admitted or not.
///
/// Each request checks its ticket's signature itself, concurrently with other requests;
/// check-ins that arrive together are then decided together (``Batcher``): each check-in
/// verified in arrival order — a ticket checked twice in one batch is decided twice, the second
/// time knowing the first — first as if no ticket had a history yet, and the scans recorded in
/// one statement that locks the tickets first and records none of a ticket whose history is not
/// what the decision assumed (migration 22). Those tickets' check-ins are decided again from
/// their histories, read in one statement, and recorded the same way; any still stale then are
/// decided under the lock, so two doors checking one ticket at the same moment admit it once,
/// on any replica.
package struct CheckInService: Sendable {
    /// The node id online check-ins are recorded under (the server itself).
    package static let serverNodeID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    /// At most this many check-ins are decided in one batch.
    static let batchCapacity = 64
    /// One batch at a time (per server process): while it runs the next batch gathers.
    /// Measured with `spot bench commerce` (8 door connections): one admits the most a second —
    /// 1,217–1,418 against 1,048–1,178 with two (and, when a batch was a transaction of five round
    /// trips, two or four at once cost 2.2 and 2.8 ms of the machine's CPU per check-in against 1.7).
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
        guard let checkIn = try await prepare(
            payload: payload, gate: gate, direction: direction, organizers: organizers, recordedBy: recordedBy, now: now,
            logger: logger)
        else {
            // Not decodable: the verdict needs no database state, and there is nothing to record.
            let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: []), gate: GatePolicy(gate: gate, events: []))
            return Outcome(
                result: verifier.verify(payload, direction: direction, at: now, revocations: RevocationList(), scans: ScanLedger()),
                scanID: nil)
        }
        return try await batcher.submit(checkIn) { batch in try await decide(batch, logger: logger) }
    }

    /// What a check-in's batch needs, found by the request itself, concurrently with other
    /// requests: the ticket's signature checked (one Ed25519 verification), its event and the
    /// organizer's keys. Nil when `payload` is not a decodable ticket.
    func prepare(
        payload: String, gate: String, direction: ScanDirection, organizers: Set<UUID>?, recordedBy: UUID, now: Date,
        logger: Logger
    ) async throws -> CheckIn? {
        guard let ticket = try? SignedTicket(text: payload) else { return nil }
        let claims = ticket.claims
        let event = try await event(claims.eventID, logger: logger)
        // The server trusts every organizer's keys, so a genuine ticket of another organizer's
        // event is reported as wrong_event, not unknown_key.
        var trusted: [IssuerKey] = []
        if let event { trusted = try await keys(of: event.organizer, logger: logger) }
        let trust = try TrustStore(issuerKeys: trusted)
        return CheckIn(
            prepared: TicketVerifier(trust: trust, gate: GatePolicy(gate: gate, events: [])).prepare(ticket), claims: claims,
            event: event, trust: trust, gate: gate, direction: direction, organizers: organizers, recordedBy: recordedBy,
            now: now)
    }

    /// Decides `batch` in one round trip when none of its tickets has a history yet — a ticket's
    /// first check-in, the common one at a door: decided as if no ticket had revocations or
    /// accepted scans, and recorded only for the tickets that still have none. The check-ins of
    /// the others are decided again from their histories, read then (``decide(_:knowing:logger:)``),
    /// on one connection. A check-in that records no scan (another organizer's event, a draft) is
    /// refused as `wrong_event` or earlier, before the verdict looks at a history.
    func decide(_ batch: [CheckIn], logger: Logger) async throws -> [Outcome] {
        let firsts = try await optimistically(batch, knowing: TicketHistories(), on: database, logger: logger)
        return try await decideAgain(firsts, of: batch) { rest in
            let decided = try await database.withConnection(logger: logger) { connection in
                let histories = try await TicketHistories.read(
                    of: Array(Set(rest.map(\.claims.ticketID))), on: connection, logger: logger)
                return try await optimistically(rest, knowing: histories, on: connection, logger: logger)
            }
            return try await decideAgain(decided, of: rest) { try await decideLocked($0, logger: logger) }
        }
    }

    /// Decides `batch` from `histories`, read before and without a lock, and records its scans in
    /// one statement; the check-ins of a ticket whose history changed since are decided again
    /// under the ticket's lock (``decideLocked(_:logger:)``).
    func decide(_ batch: [CheckIn], knowing histories: TicketHistories, logger: Logger) async throws -> [Outcome] {
        let decided = try await optimistically(batch, knowing: histories, on: database, logger: logger)
        return try await decideAgain(decided, of: batch) { try await decideLocked($0, logger: logger) }
    }

    /// The outcomes of `batch` decided from `histories`, recorded on `runner`, and the tickets
    /// whose history is no longer what `histories` holds (their check-ins were not recorded).
    private func optimistically(
        _ batch: [CheckIn], knowing histories: TicketHistories, on runner: some PreparedStatementRunner, logger: Logger
    ) async throws -> (outcomes: [Outcome], stale: Set<UUID>) {
        let decided = try await Self.decide(batch, knowing: histories) { organizer in
            try await IssuerKeyRepository(database: database).publicKeys(organizer: organizer, logger: logger)
        }
        return (decided.outcomes, try await Self.record(decided.scans, seen: histories, on: runner, logger: logger))
    }

    /// `decided`, with the check-ins of its stale tickets decided again by `deciding`.
    private func decideAgain(
        _ decided: (outcomes: [Outcome], stale: Set<UUID>), of batch: [CheckIn],
        by deciding: ([CheckIn]) async throws -> [Outcome]
    ) async throws -> [Outcome] {
        let stale = decided.stale
        guard !stale.isEmpty else { return decided.outcomes }
        let again = batch.indices.filter { stale.contains(batch[$0].claims.ticketID) }
        var outcomes = decided.outcomes
        for (index, outcome) in zip(again, try await deciding(again.map { batch[$0] })) {
            outcomes[index] = outcome
        }
        return outcomes
    }

    /// Decides `batch` in one transaction: the tickets locked, their histories read, each
    /// check-in verified in turn, the scans recorded. A revocation (which takes no ticket lock)
    /// committed between the read and the recording makes its ticket's check-ins decided again.
    private func decideLocked(_ batch: [CheckIn], logger: Logger) async throws -> [Outcome] {
        try await database.withTransaction(logger: logger) { connection in
            try await Self.lock(Array(Set(batch.map(\.claims.ticketID))), on: connection, logger: logger)
            var outcomes = [Outcome?](repeating: nil, count: batch.count)
            var pending = Array(batch.indices)
            while !pending.isEmpty {
                let tickets = Array(Set(pending.map { batch[$0].claims.ticketID }))
                let histories = try await TicketHistories.read(of: tickets, on: connection, logger: logger)
                let decided = try await Self.decide(pending.map { batch[$0] }, knowing: histories) { organizer in
                    try await IssuerKeyRepository.publicKeys(organizers: [organizer], on: connection, logger: logger)
                }
                let stale = try await Self.record(decided.scans, seen: histories, on: connection, logger: logger)
                for (index, outcome) in zip(pending, decided.outcomes) where !stale.contains(batch[index].claims.ticketID) {
                    outcomes[index] = outcome
                }
                pending = pending.filter { stale.contains(batch[$0].claims.ticketID) }
            }
            return outcomes.map { $0! }
        }
    }

    /// A batch's verdicts, and the scans to record (with their events, verdicts and recorders).
    private struct Decided {
        var outcomes: [Outcome] = []
        var scans: [(scan: ScanRecord, event: UUID, verdict: VerdictCode, recorder: UUID)] = []
    }

    /// Verifies each check-in of `batch` in turn against `histories` and what the batch admitted
    /// before it; `keys` reads an organizer's keys when a key is not yet known to this replica.
    private static func decide(
        _ batch: [CheckIn], knowing histories: TicketHistories, keys: (UUID) async throws -> [IssuerKey]
    ) async throws -> Decided {
        let revocations = histories.revocationList
        var scans = histories.ledger
        var decided = Decided()
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
                result = verify(try TrustStore(issuerKeys: try await keys(event.organizer)))
            }
            // Scans are recorded for published and cancelled events the caller checks in for only: a
            // draft has no genuine tickets and may still be deleted (scans carry no foreign key;
            // migration 8), and another organizer's event is none of this door's business.
            guard admissions.contains(where: { $0.eventID == claims.eventID }) else {
                decided.outcomes.append(Outcome(result: result, scanID: nil))
                continue
            }
            let scan = ScanRecord(
                scanID: UUID.now(checkIn.now), ticketID: claims.ticketID, issueVersion: claims.issueVersion,
                direction: checkIn.direction, gate: checkIn.gate, nodeID: Self.serverNodeID,
                at: HLCTimestamp(wallMilliseconds: Int64(checkIn.now.timeIntervalSince1970 * 1000)))
            if result.verdict.code == .ok { scans.record(scan) }
            decided.scans.append((scan, claims.eventID, result.verdict.code, checkIn.recordedBy))
            decided.outcomes.append(Outcome(result: result, scanID: scan.scanID))
        }
        return decided
    }

    /// Records `scans` unless their ticket's history is no longer what `seen` holds; returns
    /// the tickets whose scans were not recorded for that reason (migration 22).
    private static func record(
        _ scans: [(scan: ScanRecord, event: UUID, verdict: VerdictCode, recorder: UUID)], seen: TicketHistories,
        on runner: some PreparedStatementRunner, logger: Logger
    ) async throws -> Set<UUID> {
        guard !scans.isEmpty else { return [] }
        let tickets = Array(Set(scans.map(\.scan.ticketID)))
        let counts = tickets.map { seen.counts(of: $0) }
        let statement = Prepared<RecordOnlineCheckIns>(
            """
            \(tickets)\(counts.map(\.revocations))\(counts.map(\.accepted))\
            \(scans.map(\.scan.scanID))\(scans.map(\.scan.ticketID))\(scans.map { Int32(clamping: $0.scan.issueVersion) })\
            \(scans.map(\.event))\(scans.map(\.scan.direction.rawValue))\(scans.map(\.scan.gate))\
            \(scans.map { Int64(bitPattern: $0.scan.at.packed) })\(scans.map(\.verdict.rawValue))\(scans.map(\.recorder))\
            \(serverNodeID)
            """)
        return Set(try await runner.rows(of: statement, logger: logger).map { try $0.decode(UUID.self) })
    }

    /// Migration 22's `record_online_check_ins`.
    private enum RecordOnlineCheckIns: PreparedSQL {
        static let text = "SELECT record_online_check_ins($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
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
    /// about a ticket, for every ticket in `tickets`, in one fixed order (migration 22's `lock_tickets`).
    static func lock(_ tickets: [UUID], on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.execute(Prepared<LockTickets>("\(tickets)"), logger: logger)
    }

    private enum LockTickets: PreparedSQL {
        static let text = "SELECT lock_tickets($1)"
    }
}
