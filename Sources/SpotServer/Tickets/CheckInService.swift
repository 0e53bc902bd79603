import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Online check-in at a door: the same verdict function the venue nodes run offline, fed from
/// PostgreSQL without a conversation — one statement reads the ticket's event, the organizer's
/// key ring, the ticket's revocations and accepted scans and its admission sequence; one
/// statement records the verdict if that sequence has not moved meanwhile, advancing it. A door
/// that lost the race (another door, on this server or another, or a node's push, recorded a scan
/// of the ticket in between) reads again, so two doors checking one ticket at the same instant
/// admit it once. Every decodable scan is recorded, admitted or not.
package struct CheckInService: Sendable {
    /// The node id online check-ins are recorded under (the server itself).
    package static let serverNodeID = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!
    /// Reads before a door gives up on a ticket that other doors keep scanning.
    static let attempts = 8

    let database: Database

    struct Outcome: Sendable {
        let result: VerificationResult
        let scanID: UUID?
    }

    /// Checks `payload` at `gate` for `caller` (403 when the caller checks in for no organizer).
    func checkIn(
        payload: String, gate: String, direction: ScanDirection, caller: Caller, now: Date, logger: Logger
    ) async throws -> Outcome {
        guard let claims = (try? SignedTicket(text: payload))?.claims else {
            try await requireScope(of: caller, logger: logger)
            // Not decodable: the verdict needs no database state, and there is nothing to record.
            let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: []), gate: GatePolicy(gate: gate, events: []))
            return Outcome(
                result: verifier.verify(payload, direction: direction, at: now, revocations: RevocationList(), scans: ScanLedger()),
                scanID: nil)
        }
        for _ in 0..<Self.attempts {
            let state = try await TicketState.read(claims, caller: caller, database: database, logger: logger)
            guard state.callerHasScope else { throw caller.withoutScope }
            var admissions: [EventAdmission] = []
            if let event = state.event, event.status != "draft", event.callerMayCheckIn {
                admissions.append(EventAdmission(
                    eventID: claims.eventID, isCancelled: event.status == "cancelled", reentryPolicy: event.reentryPolicy))
            }
            let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: state.keys), gate: GatePolicy(gate: gate, events: admissions))
            let result = verifier.verify(payload, direction: direction, at: now, revocations: state.revocations, scans: state.scans)
            // Scans are recorded for published and cancelled events the caller checks in for only: a
            // draft has no genuine tickets and may still be deleted (scans carry no foreign key;
            // migration 8), and another organizer's event is none of this door's business.
            guard !admissions.isEmpty else { return Outcome(result: result, scanID: nil) }
            let scanID = UUID.now(now)
            let recorded = try await record(
                scanID, claims: claims, gate: gate, direction: direction, verdict: result.verdict.code, recordedBy: caller.user,
                ifSequence: state.sequence, now: now, logger: logger)
            if recorded { return Outcome(result: result, scanID: scanID) }
        }
        throw DomainError.conflict("Other doors keep scanning this ticket; scan it again.")
    }

    /// Records the scan and advances the ticket's admission sequence, in one statement, if the
    /// sequence is still `sequence`; false when another scan of the ticket came first.
    private func record(
        _ scanID: UUID, claims: TicketClaims, gate: String, direction: ScanDirection, verdict: VerdictCode, recordedBy: UUID,
        ifSequence sequence: Int64, now: Date, logger: Logger
    ) async throws -> Bool {
        let (next, overflow) = sequence.addingReportingOverflow(1)
        guard !overflow else { throw DomainError.conflict("This ticket has been scanned too often to record another scan.") }
        let hlc = Int64(bitPattern: HLCTimestamp(wallMilliseconds: Int64(now.timeIntervalSince1970 * 1000)).packed)
        let rows = try await database.query(
            """
            WITH advanced AS (
                INSERT INTO ticket_admission_sequences AS s (ticket_id, sequence) VALUES (\(claims.ticketID), \(next))
                ON CONFLICT (ticket_id) DO UPDATE SET sequence = s.sequence + 1 WHERE s.sequence = \(sequence)
                RETURNING 1
            )
            INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict,
                               recorded_by)
            SELECT \(scanID), \(claims.ticketID), \(Int(claims.issueVersion)), \(claims.eventID), \(direction.rawValue),
                   \(gate), \(Self.serverNodeID), \(hlc), \(now), \(verdict.rawValue), \(recordedBy)
            FROM advanced
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }
}

/// What the verdict on one ticket needs from PostgreSQL, read in one statement.
struct TicketState {
    struct Event {
        let organizerID: UUID
        let status: String
        let reentryPolicy: ReentryPolicy
        /// Whether the caller checks tickets in for this event's organizer.
        let callerMayCheckIn: Bool
    }

    /// The ticket's event, if it exists.
    let event: Event?
    /// The event's organizer's key ring (the server trusts every organizer's keys, so a genuine
    /// ticket of another organizer's event is reported as `wrong_event`, not `unknown_key`).
    let keys: [IssuerKey]
    let revocations: RevocationList
    let scans: ScanLedger
    /// The ticket's admission sequence (0 before its first recorded scan).
    let sequence: Int64
    /// Whether the caller checks tickets in for any organizer at all.
    let callerHasScope: Bool

    static func read(
        _ claims: TicketClaims, caller: CheckInService.Caller, database: Database, logger: Logger
    ) async throws -> TicketState {
        let ticket = claims.ticketID
        let rows = try await database.query(
            """
            SELECT e.organizer_id, e.status, e.reentry_policy,
                   ARRAY(SELECT k.public_key FROM organizer_keys k WHERE k.organizer_id = e.organizer_id ORDER BY k.created_at, k.key_id),
                   ARRAY(SELECT k.status FROM organizer_keys k WHERE k.organizer_id = e.organizer_id ORDER BY k.created_at, k.key_id),
                   ARRAY(SELECT coalesce(k.verifies_until, 'epoch') FROM organizer_keys k
                         WHERE k.organizer_id = e.organizer_id ORDER BY k.created_at, k.key_id),
                   ARRAY(SELECT r.issue_version FROM revocations r WHERE r.ticket_id = \(ticket) ORDER BY r.id),
                   ARRAY(SELECT r.reason FROM revocations r WHERE r.ticket_id = \(ticket) ORDER BY r.id),
                   ARRAY(SELECT s.id FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   ARRAY(SELECT s.issue_version FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   ARRAY(SELECT s.direction FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   ARRAY(SELECT s.gate FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   ARRAY(SELECT s.node_id FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   ARRAY(SELECT s.hlc FROM scans s WHERE s.ticket_id = \(ticket) AND s.verdict = 'ok' ORDER BY s.id),
                   coalesce((SELECT a.sequence FROM ticket_admission_sequences a WHERE a.ticket_id = \(ticket)), 0),
                   \(caller.isAdmin) OR EXISTS (SELECT 1 FROM check_in_scopes c WHERE c.user_id = \(caller.user)),
                   \(caller.isAdmin) OR EXISTS (
                       SELECT 1 FROM check_in_scopes c WHERE c.user_id = \(caller.user) AND c.organizer_id = e.organizer_id)
            FROM (SELECT) AS one LEFT JOIN events e ON e.id = \(claims.eventID)
            """, logger: logger)
        for try await row in rows {
            let columns = row.makeRandomAccess()
            var event: Event?
            var keys: [IssuerKey] = []
            if let organizer = try columns[0].decode(UUID?.self), let status = try columns[1].decode(String?.self),
                let reentry = try columns[2].decode(String?.self)
            {
                event = Event(
                    organizerID: organizer, status: status, reentryPolicy: ReentryPolicy(wireValue: reentry),
                    callerMayCheckIn: try columns[16].decode(Bool.self))
                let (raw, statuses, deadlines) = (
                    try columns[3].decode([ByteBuffer].self), try columns[4].decode([String].self),
                    try columns[5].decode([Date].self))
                guard raw.count == statuses.count, raw.count == deadlines.count else { throw TicketStateError.misaligned }
                keys = try raw.indices.map {
                    try IssuerKeyRepository.key(publicKey: Data(buffer: raw[$0]), status: statuses[$0], verifiesUntil: deadlines[$0])
                }
            }
            var revocations = RevocationList()
            let (versions, reasons) = (try columns[6].decode([Int32].self), try columns[7].decode([String].self))
            guard versions.count == reasons.count else { throw TicketStateError.misaligned }
            for (version, reason) in zip(versions, reasons) {
                // A version that does not fit a ticket revokes every version; an unknown reason still revokes.
                revocations.insert(Revocation(
                    ticketID: ticket, issueVersion: UInt32(exactly: version) ?? .max, reason: RevocationReason(wireValue: reason)))
            }
            var scans = ScanLedger()
            let (ids, scanVersions, directions, gates, nodes, clocks) = (
                try columns[8].decode([UUID].self), try columns[9].decode([Int32].self), try columns[10].decode([String].self),
                try columns[11].decode([String].self), try columns[12].decode([UUID].self), try columns[13].decode([Int64].self))
            guard [scanVersions.count, directions.count, gates.count, nodes.count, clocks.count].allSatisfy({ $0 == ids.count })
            else { throw TicketStateError.misaligned }
            for index in ids.indices {
                guard let direction = ScanDirection(rawValue: directions[index]), let version = UInt32(exactly: scanVersions[index])
                else { continue }
                scans.record(ScanRecord(
                    scanID: ids[index], ticketID: ticket, issueVersion: version, direction: direction, gate: gates[index],
                    nodeID: nodes[index], at: HLCTimestamp(packed: UInt64(bitPattern: clocks[index]))))
            }
            return TicketState(
                event: event, keys: keys, revocations: revocations, scans: scans, sequence: try columns[14].decode(Int64.self),
                callerHasScope: try columns[15].decode(Bool.self))
        }
        throw TicketStateError.misaligned
    }
}

enum TicketStateError: Error, CustomStringConvertible {
    case misaligned

    var description: String { "the ticket's state could not be read in one piece" }
}
