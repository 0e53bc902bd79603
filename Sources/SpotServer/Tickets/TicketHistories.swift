import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Tickets' revocations and accepted scans as read from PostgreSQL: what an online check-in's
/// verdict depends on besides the ticket itself. Both only ever grow, so how many of each a
/// ticket had tells whether its history changed since (``CheckInService``, migration 22).
struct TicketHistories: Sendable {
    private(set) var revocations: [Revocation] = []
    private(set) var accepted: [ScanRecord] = []

    var revocationList: RevocationList { RevocationList(revocations) }
    var ledger: ScanLedger { ScanLedger(accepted) }

    /// How many revocations and accepted scans of `ticket` were read.
    func counts(of ticket: UUID) -> (revocations: Int32, accepted: Int32) {
        (Int32(revocations.count { $0.ticketID == ticket }), Int32(accepted.count { $0.ticketID == ticket }))
    }

    /// The histories of `tickets`, read in one statement on `connection`. Not a prepared
    /// statement: PostgreSQL's generic plan for an array of tickets reads the whole `scans` table.
    static func read(of tickets: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> TicketHistories {
        var histories = TicketHistories()
        for try await row in try await connection.query(
            """
            SELECT ticket_id, issue_version, reason, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::bigint
            FROM revocations WHERE ticket_id = ANY(\(tickets))
            UNION ALL
            SELECT ticket_id, issue_version, NULL, id, direction, gate, node_id, hlc FROM scans
            WHERE ticket_id = ANY(\(tickets)) AND verdict = 'ok'
            """, logger: logger)
        {
            try histories.add(row)
        }
        return histories
    }

    /// One row of either read: a revocation (with its reason) or an accepted scan.
    private mutating func add(_ row: PostgresRow) throws {
        let (ticket, version, reason, id, direction, gate, node, hlc) = try row.decode(
            (UUID, Int, String?, UUID?, ScanDirection?, String?, UUID?, Int64?).self)
        if let reason {
            // A version that does not fit a ticket revokes every version; an unknown reason still revokes.
            revocations.append(Revocation(
                ticketID: ticket, issueVersion: UInt32(exactly: version) ?? .max, reason: RevocationReason(wireValue: reason)))
        } else {
            guard let id, let direction, let gate, let node, let hlc, let version = UInt32(exactly: version) else {
                throw InternalInconsistency("an accepted scan of ticket \(ticket) is incomplete")
            }
            accepted.append(ScanRecord(
                scanID: id, ticketID: ticket, issueVersion: version, direction: direction, gate: gate, nodeID: node,
                at: HLCTimestamp(packed: UInt64(bitPattern: hlc))))
        }
    }
}
