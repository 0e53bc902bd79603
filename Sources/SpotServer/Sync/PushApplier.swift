import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Applies a node's push (`SyncProtocol/README.md` §6) in one transaction: mutations
/// already applied are answered `duplicate` from the node's mutation log; new ones are
/// checked, recorded and answered `applied`, `conflict` (recorded, and contradicting
/// central state) or `rejected` (can never apply). Every new mutation id is logged,
/// rejected ones too, so no node queue can wedge. Scans are written set-wise, so tens
/// of thousands merge in seconds.
struct PushApplier: Sendable {
    let database: Database
    let skewBoundMilliseconds: Int64

    /// The node whose facts are applied: the one pushing, or the origin of relayed facts.
    struct Origin: Sendable {
        let id: UUID
        let venueID: UUID

        init(id: UUID, venueID: UUID) {
            self.id = id
            self.venueID = venueID
        }

        init(_ node: AuthenticatedNode) {
            self.init(id: node.id, venueID: node.venueID)
        }
    }

    /// A mutation the node must drop: why, in the error shape.
    struct Rejection: Error {
        let code: ErrorCode
        let message: String
    }

    /// Applies `request` as `node`'s. With `relayed`, another node of the venue brought the
    /// facts (``RelayApplier``): they count as the origin's, but say nothing of its contact,
    /// clock or protocol, and `clock` is the relayer's.
    func apply(
        _ request: PushRequest, node: Origin, version: SyncProtocolVersion, now: Date, relayed: Bool = false,
        logger: Logger
    ) async throws -> PushResponse {
        guard request.nodeID == node.id else {
            throw DomainError.forbidden("This push names node \(request.nodeID.uuidString.lowercased()), not the node whose credential sent it.")
        }
        let lastMutationID: Int64
        do {
            lastMutationID = try request.checkBatch()
        } catch {
            throw DomainError.validation(error.field, error.message)
        }
        if let first = request.unreadable.first, version < .livePull {
            throw DomainError.validation(first.problem.field, first.problem.message)  // v1: the whole push
        }
        let offset = SyncService.offset(of: request.clock, now: now)
        let skewed = abs(offset) > skewBoundMilliseconds
        let results = try await database.withTransaction(logger: logger) { connection in
            // One push per node at a time: replays of a batch wait for the first to commit.
            try await connection.query("SELECT 1 FROM nodes WHERE id = \(node.id) FOR UPDATE", logger: logger)
            let ids = request.mutationIDs
            var results: [Int64: SyncMutationResult] = [:]
            let seenRows = try await connection.query(
                "SELECT mutation_id, entity_id FROM node_mutations WHERE node_id = \(node.id) AND mutation_id = ANY(\(ids))",
                logger: logger)
            var duplicates: [Int64: UUID?] = [:]
            for try await (id, entity) in seenRows.decode((Int64, UUID?).self) { duplicates[id] = entity }
            let venue = try await Self.venueEvents(node.venueID, on: connection, logger: logger)

            var scans: [(Int64, SyncScan)] = []
            var log: [(id: Int64, kind: SyncMutation.Kind, entity: UUID?, status: SyncMutationResult.Status, code: ErrorCode?,
                       message: String?)] = []
            for mutation in request.mutations where duplicates[mutation.mutationID] == nil {
                do {
                    switch mutation.body {
                    case .scan(let scan):
                        try Self.check(scan, node: node, venue: venue)
                        scans.append((mutation.mutationID, scan))
                    case .sale(let sale):
                        let result = try await applySale(sale, node: node, venue: venue, on: connection, now: now, logger: logger)
                        results[mutation.mutationID] = SyncMutationResult(
                            mutationID: mutation.mutationID, status: result.status, conflicts: result.conflicts)
                        log.append((mutation.mutationID, .sale, sale.id, result.status == .conflict ? .conflict : .applied, nil, nil))
                    case .release(let release):
                        try await Self.applyRelease(release, node: node, on: connection, now: now, logger: logger)
                        results[mutation.mutationID] = SyncMutationResult(mutationID: mutation.mutationID, status: .applied)
                        log.append((mutation.mutationID, .release, release.ticketTypeID, .applied, nil, nil))
                    }
                } catch let rejection as Rejection {
                    results[mutation.mutationID] = SyncMutationResult(
                        mutationID: mutation.mutationID, status: .rejected,
                        error: SyncErrorDetail(rejection.code, rejection.message))
                    log.append((mutation.mutationID, mutation.kind, nil, .rejected, rejection.code, rejection.message))
                }
            }

            // v2: an item that could not be read is rejected on its own (and not logged: it has no kind).
            for item in request.unreadable where duplicates[item.mutationID] == nil {
                results[item.mutationID] = SyncMutationResult(
                    mutationID: item.mutationID, status: .rejected,
                    error: SyncErrorDetail(
                        code: ErrorCode.unreadableMutation.rawValue, message: PushRequest.unreadableMessage(item.problem),
                        fields: [item.problem.field: item.problem.message]))
            }

            for (id, scanID, status, conflicts) in try await applyScans(
                scans, skewed: skewed, on: connection, now: now, logger: logger)
            {
                results[id] = SyncMutationResult(mutationID: id, status: status, conflicts: conflicts)
                log.append((id, .scan, scanID, status == .conflict ? .conflict : .applied, nil, nil))
            }

            // Replays: answered from the log, with the conflicts their facts have now.
            let replayedFacts = duplicates.values.compactMap { $0 }
            let replayConflicts = replayedFacts.isEmpty ? [] : try await SyncEntities.conflicts(
                ids: nil, events: nil, facts: replayedFacts, on: connection, logger: logger)
            for (id, entity) in duplicates {
                results[id] = SyncMutationResult(
                    mutationID: id, status: .duplicate,
                    conflicts: replayConflicts.filter { entity != nil && ($0.scanID == entity || $0.saleID == entity) })
            }

            if !log.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO node_mutations (node_id, mutation_id, kind, entity_id, status, error_code, error_message, applied_at)
                    SELECT \(node.id), m.id, m.kind, nullif(m.entity, '')::uuid, m.status, nullif(m.code, ''),
                           nullif(m.message, ''), \(now)
                    FROM unnest(\(log.map(\.id)), \(log.map(\.kind.rawValue)), \(log.map { $0.entity?.lowercasedText ?? "" }),
                                \(log.map(\.status.rawValue)), \(log.map { $0.code?.rawValue ?? "" }), \(log.map { $0.message ?? "" }))
                         AS m(id, kind, entity, status, code, message)
                    """, logger: logger)
            }
            if relayed {
                try await connection.query(
                    "UPDATE nodes SET last_mutation_id = greatest(last_mutation_id, \(lastMutationID)) WHERE id = \(node.id)",
                    logger: logger)
                return ids.compactMap { results[$0] }
            }
            try await connection.query(
                """
                UPDATE nodes SET last_mutation_id = greatest(last_mutation_id, \(lastMutationID)), last_push_at = \(now),
                    last_seen_at = \(now), protocol_version = \(version.rawValue), clock_offset_ms = \(offset),
                    clock_skewed = \(skewed)
                WHERE id = \(node.id)
                """, logger: logger)
            return ids.compactMap { results[$0] }
        }
        return PushResponse(protocolVersion: version.rawValue, serverTime: SyncService.serverTime(now), results: results)
    }

    struct VenueEvent {
        let status: String
    }

    private static func venueEvents(_ venue: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [UUID: VenueEvent] {
        let rows = try await connection.query(
            "SELECT id, status FROM events WHERE venue_id = \(venue) AND status <> 'draft'", logger: logger)
        var events: [UUID: VenueEvent] = [:]
        for try await (id, status) in rows.decode((UUID, String).self) {
            events[id] = VenueEvent(status: status)
        }
        return events
    }

    private static func check(_ scan: SyncScan, node: Origin, venue: [UUID: VenueEvent]) throws {
        guard scan.nodeID == node.id else {
            throw Rejection(code: .wrongNode, message: "The scan names another node; a node pushes only its own scans.")
        }
        guard venue[scan.eventID] != nil else {
            throw Rejection(code: .wrongVenue, message: "The scan's event is not one of this node's venue.")
        }
        if let problem = FieldLimits.gateNameProblem(scan.gate) {
            throw Rejection(code: .invalidScan, message: "gate \(problem).")
        }
    }

    /// Inserts new scans in one statement, then records conflicts for the tickets they touch.
    private func applyScans(
        _ scans: [(Int64, SyncScan)], skewed: Bool, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> [(mutationID: Int64, scanID: UUID, status: SyncMutationResult.Status, conflicts: [SyncConflict])] {
        guard !scans.isEmpty else { return [] }
        let values = scans.map(\.1)
        // The same lock online check-in takes, in a fixed order: two pushes (or a push and
        // a door) deciding about one ticket see each other's scans.
        try await CheckInService.lock(values.map(\.ticketID), on: connection, logger: logger)
        let inserted = try await connection.query(
            """
            INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict,
                               clock_skewed)
            SELECT s.id, s.ticket, s.version, s.event, s.direction, s.gate, s.node, s.hlc,
                   to_timestamp((s.hlc >> 16) / 1000.0), s.verdict, \(skewed)
            FROM unnest(\(values.map(\.id)), \(values.map(\.ticketID)), \(values.map { Int32(clamping: $0.issueVersion) }),
                        \(values.map(\.eventID)), \(values.map(\.direction.rawValue)), \(values.map(\.gate)),
                        \(values.map(\.nodeID)), \(values.map { Int64(bitPattern: $0.hlc.packed) }), \(values.map(\.verdict.rawValue)))
                 AS s(id, ticket, version, event, direction, gate, node, hlc, verdict)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """, logger: logger)
        var new = Set<UUID>()
        for try await id in inserted.decode(UUID.self) { new.insert(id) }
        let admitted = values.filter { new.contains($0.id) && $0.verdict == .ok && $0.direction == .entry }
        // Scans that a conflict was recorded (or re-decided) for, by the statements below.
        var conflicted = Set<UUID>()
        if !admitted.isEmpty {
            let tickets = Array(Set(admitted.map(\.ticketID)))
            // Duplicate admissions (single-entry events): the admission is the accepted entry
            // with the smallest (HLC, node id, scan id); every other one is a conflict.
            let duplicates = try await connection.query(
                """
                INSERT INTO conflicts (id, kind, event_id, node_id, ticket_id, scan_id, admitted_scan_id, created_at)
                SELECT gen_random_uuid(), \(ConflictKind.duplicateAdmission.rawValue), r.event_id, r.node_id, r.ticket_id, r.id, r.first, \(now)
                FROM (
                    SELECT s.id, s.event_id, s.node_id, s.ticket_id,
                           first_value(s.id) OVER (PARTITION BY s.ticket_id ORDER BY s.hlc, s.node_id, s.id) AS first
                    FROM scans s JOIN events e ON e.id = s.event_id
                    WHERE s.ticket_id = ANY(\(tickets)) AND s.verdict = 'ok' AND s.direction = 'entry'
                      AND e.reentry_policy = 'single_entry'
                ) r
                WHERE r.id <> r.first
                ON CONFLICT (kind, scan_id) DO UPDATE SET admitted_scan_id = EXCLUDED.admitted_scan_id
                    WHERE conflicts.admitted_scan_id IS DISTINCT FROM EXCLUDED.admitted_scan_id
                RETURNING scan_id
                """, logger: logger)
            for try await id in duplicates.decode(UUID.self) { conflicted.insert(id) }
            // Admitted offline after a central revocation the node had not heard of yet.
            let revoked = try await connection.query(
                """
                INSERT INTO conflicts (id, kind, event_id, node_id, ticket_id, scan_id, created_at)
                SELECT gen_random_uuid(), \(ConflictKind.admittedAfterRevocation.rawValue), s.event_id, s.node_id, s.ticket_id, s.id, \(now)
                FROM scans s
                WHERE s.id = ANY(\(admitted.map(\.id)))
                  AND EXISTS (SELECT 1 FROM revocations r
                              WHERE r.ticket_id = s.ticket_id AND r.issue_version >= s.issue_version
                                AND r.created_at <= s.scanned_at)
                ON CONFLICT (kind, scan_id) DO NOTHING
                RETURNING scan_id
                """, logger: logger)
            for try await id in revoked.decode(UUID.self) { conflicted.insert(id) }
        }
        // A new scan's conflicts were all written just now: look up only those.
        let facts = Array(conflicted.intersection(new))
        let conflicts = facts.isEmpty ? [] : try await SyncEntities.conflicts(
            ids: nil, events: nil, facts: facts, on: connection, logger: logger)
        let byScan = Dictionary(grouping: conflicts, by: { $0.scanID })
        return scans.map { id, scan in
            guard new.contains(scan.id) else { return (id, scan.id, .duplicate, []) }
            let own = byScan[scan.id] ?? []
            return (id, scan.id, own.isEmpty ? .applied : .conflict, own)
        }
    }

    /// Checks a door sale — the node's event, the type's event, the tickets signed by this
    /// node's device key — and records it against the node's allotment. The sale is kept
    /// whatever central state says (money was taken); contradictions become conflicts.
    private func applySale(
        _ sale: SyncSale, node: Origin, venue: [UUID: VenueEvent], on connection: PostgresConnection, now: Date,
        logger: Logger
    ) async throws -> (status: SyncMutationResult.Status, conflicts: [SyncConflict]) {
        guard sale.nodeID == node.id else {
            throw Rejection(code: .wrongNode, message: "The sale names another node; a node pushes only its own sales.")
        }
        guard let event = venue[sale.eventID] else {
            throw Rejection(code: .wrongVenue, message: "The sale's event is not one of this node's venue.")
        }
        let keyRows = try await connection.query(
            "SELECT device_public_key FROM nodes WHERE id = \(node.id)", logger: logger)
        var deviceKey: Curve25519.Signing.PublicKey?
        for try await raw in keyRows.decode(Data.self) { deviceKey = try? .init(rawRepresentation: raw) }
        guard let deviceKey else { throw InternalInconsistency("node \(node.id) has no readable device key") }
        do {
            try sale.check(signedBy: deviceKey)
        } catch {
            throw Rejection(code: error.code, message: error.message)
        }
        guard try await connection.returnsRow(
            "SELECT 1 FROM ticket_types WHERE id = \(sale.ticketTypeID) AND event_id = \(sale.eventID)", logger: logger)
        else { throw Rejection(code: .invalidSale, message: "The ticket type is not one of the sale's event.") }
        guard !(try await connection.returnsRow("SELECT 1 FROM door_sales WHERE id = \(sale.id)", logger: logger)) else {
            return (.duplicate, [])
        }
        let within = try await connection.returnsRow(
            """
            UPDATE allotments SET sold = sold + \(sale.quantity), updated_at = \(now)
            WHERE node_id = \(node.id) AND ticket_type_id = \(sale.ticketTypeID) AND sold + \(sale.quantity) <= granted
            RETURNING 1
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO door_sales (id, node_id, event_id, ticket_type_id, quantity, payment_method, amount_minor, currency, hlc,
                                    within_allotment, recorded_at)
            VALUES (\(sale.id), \(node.id), \(sale.eventID), \(sale.ticketTypeID), \(sale.quantity), \(sale.paymentMethod.rawValue),
                    \(sale.amountMinor), \(sale.currency), \(Int64(bitPattern: sale.hlc.packed)), \(within), \(now))
            """, logger: logger)
        let keyHex = KeyID(of: deviceKey).hex
        try await connection.query(
            """
            INSERT INTO door_tickets (id, sale_id, event_id, ticket_type_id, key_id, payload)
            SELECT t.id, \(sale.id), \(sale.eventID), \(sale.ticketTypeID), \(keyHex), t.payload
            FROM unnest(\(sale.tickets.map(\.id)), \(sale.tickets.map(\.payload))) AS t(id, payload)
            ON CONFLICT (id) DO NOTHING
            """, logger: logger)
        var kinds: [ConflictKind] = []
        if event.status == "cancelled" { kinds.append(.saleForCancelledEvent) }
        if !within { kinds.append(.saleBeyondAllotment) }
        guard !kinds.isEmpty else { return (.applied, []) }
        for kind in kinds {
            try await connection.query(
                """
                INSERT INTO conflicts (id, kind, event_id, node_id, sale_id, created_at)
                VALUES (\(UUID.now(now)), \(kind.rawValue), \(sale.eventID), \(node.id), \(sale.id), \(now))
                ON CONFLICT (kind, sale_id) DO NOTHING
                """, logger: logger)
        }
        return (.conflict, try await SyncEntities.conflicts(
            ids: nil, events: nil, facts: [sale.id], on: connection, logger: logger))
    }

    /// Gives unsold seats back to the online pool; never below what the server knows was sold.
    private static func applyRelease(
        _ release: SyncRelease, node: Origin, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        guard release.quantity > 0 else {
            throw Rejection(code: .invalidRelease, message: "quantity must be positive.")
        }
        guard try await connection.returnsRow(
            """
            UPDATE allotments SET granted = granted - \(release.quantity), updated_at = \(now)
            WHERE node_id = \(node.id) AND ticket_type_id = \(release.ticketTypeID) AND granted - \(release.quantity) >= sold
            RETURNING 1
            """, logger: logger)
        else {
            throw Rejection(
                code: .releaseExceedsUnsold, message: "The node does not hold \(release.quantity) unsold seats of this type.")
        }
        try await connection.query(
            """
            UPDATE ticket_types SET allotted = allotted - \(release.quantity), updated_at = \(now)
            WHERE id = \(release.ticketTypeID)
            """, logger: logger)
    }
}
