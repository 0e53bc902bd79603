import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Venue nodes: one-time enrollment codes, enrollment, revocation, device certificates,
/// allotments and the sync-health view. Every organizer-facing method is scoped to the
/// calling organizer; every node-facing one to the node's own venue.
package struct NodeRepository: Sendable {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    /// How long an enrollment code works unless the organizer says otherwise.
    static let defaultCodeLifetime: TimeInterval = 24 * 3600
    /// Device certificates last 30 days and are renewed at sync when half of that is gone.
    static let certificateLifetime: TimeInterval = 30 * 24 * 3600
    static let renewCertificateWhenLeft: TimeInterval = 15 * 24 * 3600

    // MARK: Enrollment

    /// A fresh one-time code for a node of `venue`, such as `7KQ2-M9XD-4RTA` (60 random bits).
    package func createEnrollmentCode(
        venue: UUID, organizer: UUID, name: String, createdBy: UUID, lifetime: TimeInterval, now: Date, logger: Logger
    ) async throws -> (code: String, expiresAt: Date) {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        let symbols = (0..<12).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] }
        let code = [0, 4, 8].map { String(symbols[$0..<$0 + 4]) }.joined(separator: "-")
        let expiresAt = now.addingTimeInterval(lifetime)
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO node_enrollment_codes (code_hash, venue_id, organizer_id, name, created_by, created_at, expires_at)
                VALUES (\(Self.codeHash(code)), \(venue), \(organizer), \(name), \(createdBy), \(now), \(expiresAt))
                """, logger: logger)
            try await AuditLog.record(
                on: connection, actor: createdBy, organizer: organizer, action: "node.enrollment_code", entityType: "venue",
                entityID: venue, changes: ["name": .init(from: nil, to: name)], at: now, logger: logger)
        }
        return (code, expiresAt)
    }

    /// Codes are compared without dashes, spaces or case (people type them).
    static func codeHash(_ code: String) -> Data {
        let normalized = code.uppercased().filter { $0.isLetter || $0.isNumber }
        return Data(SHA256.hash(data: Data(normalized.utf8)))
    }

    /// Spends `code` and enrolls a node with `devicePublicKey`; returns its identity and first credential.
    func enroll(
        code: String, devicePublicKey: Data, name: String?, version: SyncProtocolVersion, now: Date, logger: Logger
    ) async throws -> EnrollResponse {
        try await database.withTransaction(logger: logger) { connection in
            let nodeID = UUID.now(now)
            let rows = try await connection.query(
                """
                SELECT c.venue_id, c.organizer_id, c.name, c.expires_at, c.used_at, v.name
                FROM node_enrollment_codes c JOIN venues v ON v.id = c.venue_id
                WHERE c.code_hash = \(Self.codeHash(code)) FOR UPDATE OF c
                """, logger: logger)
            var found: (UUID, UUID, String, Date, Date?, String)?
            for try await row in rows.decode((UUID, UUID, String, Date, Date?, String).self) { found = row }
            guard let (venueID, organizerID, codeName, expiresAt, usedAt, venueName) = found else {
                throw DomainError.unauthenticated("This enrollment code is unknown: check it, or ask the organizer for a new one.",
                                            code: .enrollmentCodeInvalid)
            }
            guard usedAt == nil else {
                throw DomainError.unauthenticated("This enrollment code has already been used: ask the organizer for a new one.",
                                            code: .enrollmentCodeUsed)
            }
            guard expiresAt > now else {
                throw DomainError.unauthenticated("This enrollment code expired: ask the organizer for a new one.",
                                            code: .enrollmentCodeExpired)
            }
            let nodeName = name.flatMap { $0.isEmpty ? nil : $0 } ?? codeName
            // A device key must be a key of its own: one with the key id of an issuer key (any
            // organizer's) could pass a node's door sales for the organizer's tickets, and its
            // certificate would collide with that key in every trust bundle.
            let keyID = KeyID(publicKeyBytes: devicePublicKey).hex
            let holders = try await connection.query(
                """
                SELECT 'issuer' FROM organizer_keys WHERE key_id = \(keyID) OR public_key = \(devicePublicKey)
                UNION ALL
                SELECT 'device' FROM nodes
                WHERE device_public_key = \(devicePublicKey)
                   OR substring(sha256(device_public_key) FROM 1 FOR 8) = substring(sha256(\(devicePublicKey)) FROM 1 FOR 8)
                LIMIT 1
                """, logger: logger)
            for try await holder in holders.decode(String.self) {
                throw holder == "issuer"
                    ? DomainError.conflict(
                        "This key is an issuer key of the key ring, not a device key: generate a new device key.",
                        code: .deviceKeyReserved)
                    : DomainError.conflict("This device key is already enrolled: generate a new one.", code: .deviceKeyEnrolled)
            }
            try await connection.query(
                """
                INSERT INTO nodes (id, venue_id, organizer_id, name, device_public_key, status, enrolled_at)
                VALUES (\(nodeID), \(venueID), \(organizerID), \(nodeName), \(devicePublicKey), 'active', \(now))
                ON CONFLICT (device_public_key) DO NOTHING
                """, logger: logger)
            guard try await connection.returnsRow("SELECT 1 FROM nodes WHERE id = \(nodeID)", logger: logger) else {
                throw DomainError.conflict("This device key is already enrolled: generate a new one.", code: .deviceKeyEnrolled)
            }
            try await connection.query(
                "UPDATE node_enrollment_codes SET used_at = \(now), node_id = \(nodeID) WHERE code_hash = \(Self.codeHash(code))",
                logger: logger)
            let credential = try await NodeCredential.issue(node: nodeID, on: connection, now: now, logger: logger)
            return EnrollResponse(
                protocolVersion: version.rawValue,
                node: SyncNodeInfo(id: nodeID, name: nodeName, venueID: venueID, venueName: venueName, organizerID: organizerID),
                credential: SyncCredential(token: credential.token, expiresAt: credential.expiresAt))
        }
    }

    /// Who the node is (for snapshots).
    static func info(of node: AuthenticatedNode, on connection: PostgresConnection, logger: Logger) async throws -> SyncNodeInfo {
        let rows = try await connection.query(
            "SELECT n.name, v.name FROM nodes n JOIN venues v ON v.id = n.venue_id WHERE n.id = \(node.id)", logger: logger)
        for try await (name, venue) in rows.decode((String, String).self) {
            return SyncNodeInfo(id: node.id, name: name, venueID: node.venueID, venueName: venue, organizerID: node.organizerID)
        }
        throw DomainError.notFound("Node")
    }

    /// A new credential when the node's current one has less than half its life left.
    static func rotatedCredential(
        for node: AuthenticatedNode, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> SyncCredential? {
        guard node.credentialExpiresAt.timeIntervalSince(now) < NodeCredential.rotateWhenLeft else { return nil }
        let fresh = try await NodeCredential.issue(node: node.id, on: connection, now: now, logger: logger)
        try await connection.query(
            """
            UPDATE node_credentials SET expires_at = least(expires_at, \(now.addingTimeInterval(NodeCredential.graceAfterRotation)))
            WHERE id = \(node.credentialID)
            """, logger: logger)
        return SyncCredential(token: fresh.token, expiresAt: fresh.expiresAt)
    }

    // MARK: Trust

    /// The organizer's key ring and the current device certificates of the venue's active
    /// nodes. First renews this node's certificate if it is missing, due, or no longer
    /// covers exactly the venue's current events.
    static func trust(
        for node: AuthenticatedNode, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> TrustBundle {
        try await renewCertificateIfDue(node, on: connection, now: now, logger: logger)
        return try await currentTrust(for: node, on: connection, now: now, logger: logger)
    }

    /// The venue's trust bundle as it stands (``trust(for:on:now:logger:)`` without renewing the node's certificate).
    static func currentTrust(
        for node: AuthenticatedNode, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> TrustBundle {
        let keys = try await IssuerKeyRepository.publicKeys(organizers: [node.organizerID], on: connection, logger: logger)
        let certificates = try await deviceCertificates(venues: [node.venueID], on: connection, now: now, logger: logger)
        return TrustBundle(issuerKeys: keys, certificates: certificates[node.venueID] ?? [])
    }

    /// The current device certificates of each venue's active nodes, by venue (one statement for many venues).
    static func deviceCertificates(
        venues: [UUID], on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> [UUID: [DeviceCertificate]] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (d.node_id) n.venue_id, d.certificate FROM device_certificates d JOIN nodes n ON n.id = d.node_id
            WHERE n.venue_id = ANY(\(venues)) AND n.status = 'active' AND d.not_after > \(now)
            ORDER BY d.node_id, d.issued_at DESC
            """, logger: logger)
        var certificates: [UUID: [DeviceCertificate]] = [:]
        for try await (venue, bytes) in rows.decode((UUID, Data).self) {
            certificates[venue, default: []].append(try DeviceCertificate(bytes: Array(bytes)))
        }
        return certificates
    }

    private static func renewCertificateIfDue(
        _ node: AuthenticatedNode, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        let eventRows = try await connection.query(
            "SELECT id FROM events WHERE venue_id = \(node.venueID) AND status <> 'draft' ORDER BY id", logger: logger)
        var events: [UUID] = []
        for try await id in eventRows.decode(UUID.self) { events.append(id) }
        guard !events.isEmpty else { return }
        let current = try await connection.query(
            """
            SELECT not_after, event_ids FROM device_certificates WHERE node_id = \(node.id)
            ORDER BY issued_at DESC LIMIT 1
            """, logger: logger)
        for try await (notAfter, covered) in current.decode((Date, [UUID]).self) {
            if notAfter.timeIntervalSince(now) > renewCertificateWhenLeft, Set(covered) == Set(events) { return }
        }
        let keyRows = try await connection.query(
            "SELECT device_public_key FROM nodes WHERE id = \(node.id)", logger: logger)
        var deviceKey: Data?
        for try await raw in keyRows.decode(Data.self) { deviceKey = raw }
        guard let deviceKey, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: deviceKey) else { return }
        let issuer = try await IssuerKeyRepository.activeKey(organizer: node.organizerID, on: connection, now: now, logger: logger)
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let certificate = try DeviceCertificate.issue(
            .init(devicePublicKey: publicKey, nodeID: node.id, venueID: node.venueID, eventIDs: events, issuedAt: issuedAt,
                  notAfter: issuedAt.addingTimeInterval(certificateLifetime)),
            by: issuer)
        try await connection.query(
            """
            INSERT INTO device_certificates (node_id, issued_at, not_after, event_ids, certificate)
            VALUES (\(node.id), \(issuedAt), \(certificate.claims.notAfter), \(certificate.claims.eventIDs), \(Data(certificate.bytes)))
            ON CONFLICT (node_id, issued_at) DO UPDATE SET not_after = EXCLUDED.not_after, event_ids = EXCLUDED.event_ids,
                certificate = EXCLUDED.certificate
            """, logger: logger)
    }

    // MARK: Allotments

    /// The node's allotments as the server holds them, and the last mutation they reflect.
    static func allotmentState(node: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> (allotments: [SyncAllotment], lastMutationID: Int64)
    {
        try await allotmentStates(nodes: [node], on: connection, logger: logger)[node] ?? ([], 0)
    }

    /// The allotments and last mutation of many nodes, each from one statement (so one
    /// snapshot: a push committing meanwhile changes both or neither).
    static func allotmentStates(nodes: [UUID], on connection: PostgresConnection, logger: Logger) async throws
        -> [UUID: (allotments: [SyncAllotment], lastMutationID: Int64)]
    {
        let rows = try await connection.query(
            """
            SELECT n.id, n.last_mutation_id, a.ticket_type_id, a.event_id, a.granted, a.sold
            FROM nodes n LEFT JOIN allotments a ON a.node_id = n.id
            WHERE n.id = ANY(\(nodes)) ORDER BY n.id, a.event_id, a.ticket_type_id
            """, logger: logger)
        var states: [UUID: (allotments: [SyncAllotment], lastMutationID: Int64)] = [:]
        for try await (node, mutation, type, event, granted, sold) in rows.decode((UUID, Int64, UUID?, UUID?, Int?, Int?).self) {
            var state = states[node] ?? ([], mutation)
            if let type, let event, let granted, let sold {
                state.allotments.append(SyncAllotment(ticketTypeID: type, eventID: event, granted: granted, sold: sold))
            }
            states[node] = state
        }
        return states
    }

    /// The node's allotments as the server holds them.
    static func allotments(node: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [SyncAllotment] {
        let rows = try await connection.query(
            "SELECT ticket_type_id, event_id, granted, sold FROM allotments WHERE node_id = \(node) ORDER BY event_id, ticket_type_id",
            logger: logger)
        var allotments: [SyncAllotment] = []
        for try await (type, event, granted, sold) in rows.decode((UUID, UUID, Int, Int).self) {
            allotments.append(SyncAllotment(ticketTypeID: type, eventID: event, granted: granted, sold: sold))
        }
        return allotments
    }

    /// Sets a node's allotment of a ticket type to `granted` seats (the organizer's grant):
    /// the difference leaves the online pool at once, in one transaction, never more than
    /// the pool holds. An active node's allotment only grows this way — it shrinks only by
    /// what the node itself releases, so an offline node's promise always holds; a revoked
    /// node's can be taken back down to what it sold.
    func setAllotment(
        node: UUID, ticketType: UUID, granted: Int, organizer: UUID, actor: UUID, now: Date, logger: Logger
    ) async throws -> SyncAllotment {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.event_id, n.status = 'active' FROM nodes n JOIN ticket_types t ON t.id = \(ticketType)
                JOIN events e ON e.id = t.event_id AND e.venue_id = n.venue_id
                WHERE n.id = \(node) AND n.organizer_id = \(organizer)
                """, logger: logger)
            var found: (UUID, Bool)?
            for try await row in rows.decode((UUID, Bool).self) { found = row }
            guard let (event, isActive) = found else { throw DomainError.notFound("Node with this ticket type at its venue") }
            let allotment = try await Self.changeAllotment(
                node: node, ticketType: ticketType, event: event, to: .exactly(granted, mayShrink: !isActive), on: connection,
                now: now, logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "node.allotment", entityType: "node", entityID: node,
                changes: ["granted": .init(from: nil, to: String(granted))], at: now, logger: logger)
            return allotment
        }
    }

    /// Adds `quantity` seats to the node's allotment if the online pool has them (a node's top-up request).
    func topUp(node: AuthenticatedNode, ticketType: UUID, quantity: Int, now: Date, logger: Logger) async throws -> SyncAllotment {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.event_id FROM ticket_types t JOIN events e ON e.id = t.event_id
                WHERE t.id = \(ticketType) AND e.venue_id = \(node.venueID) AND e.status = 'published'
                """, logger: logger)
            var event: UUID?
            for try await id in rows.decode(UUID.self) { event = id }
            guard let event else {
                throw DomainError.notFound("Ticket type of a published event at this node's venue")
            }
            return try await Self.changeAllotment(
                node: node.id, ticketType: ticketType, event: event, to: .more(quantity), on: connection, now: now,
                logger: logger)
        }
    }

    enum AllotmentChange {
        case exactly(Int, mayShrink: Bool)
        case more(Int)
    }

    private static func changeAllotment(
        node: UUID, ticketType: UUID, event: UUID, to change: AllotmentChange, on connection: PostgresConnection, now: Date,
        logger: Logger
    ) async throws -> SyncAllotment {
        try await connection.query(
            """
            INSERT INTO allotments (node_id, ticket_type_id, event_id, granted, sold, updated_at)
            VALUES (\(node), \(ticketType), \(event), 0, 0, \(now)) ON CONFLICT DO NOTHING
            """, logger: logger)
        let current = try await connection.query(
            "SELECT granted, sold FROM allotments WHERE node_id = \(node) AND ticket_type_id = \(ticketType) FOR UPDATE",
            logger: logger)
        var granted = 0
        var sold = 0
        for try await (g, s) in current.decode((Int, Int).self) { (granted, sold) = (g, s) }
        let target: Int
        switch change {
        case .exactly(let value, let mayShrink):
            guard value >= granted || mayShrink else {
                throw DomainError.conflict(
                    "This node holds \(granted) seats: an active node's allotment shrinks only by what the node releases.",
                    code: .allotmentShrinksByRelease)
            }
            target = value
        case .more(let quantity): target = granted + quantity
        }
        guard target >= sold else {
            throw DomainError.conflict(
                "This node has already sold \(sold) seat\(sold == 1 ? "" : "s") of this type: the allotment cannot go below that.",
                code: .allotmentBelowSold)
        }
        let delta = target - granted
        func allot() async throws -> Bool {
            let taken = try await connection.query(
                """
                UPDATE ticket_types SET allotted = allotted + \(delta), updated_at = \(now)
                WHERE id = \(ticketType) AND reserved + allotted + \(delta) <= capacity
                RETURNING id
                """, logger: logger)
            for try await _ in taken { return true }
            return false
        }
        var allotted = try await allot()
        if !allotted {
            // Seats waiting in the online stripes go back to the pool first.
            try await InventoryStripes.drain(ticketType, on: connection, logger: logger)
            allotted = try await allot()
        }
        guard allotted else {
            let rows = try await connection.query(
                "SELECT capacity - reserved - allotted FROM ticket_types WHERE id = \(ticketType)", logger: logger)
            var available = 0
            for try await value in rows.decode(Int.self) { available = value }
            throw DomainError(
                .conflict, .insufficientInventory,
                "Only \(available) seat\(available == 1 ? "" : "s") of this type are left in the online pool.")
        }
        try await connection.query(
            """
            UPDATE allotments SET granted = \(target), updated_at = \(now)
            WHERE node_id = \(node) AND ticket_type_id = \(ticketType)
            """, logger: logger)
        return SyncAllotment(ticketTypeID: ticketType, eventID: event, granted: target, sold: sold)
    }

    // MARK: Organizer's view

    /// A node and its sync health, as the organizer sees it.
    struct NodeSummary: Codable, Sendable {
        @LowercaseUUID var id: UUID
        @LowercaseUUID var venueID: UUID
        let name: String
        let status: String
        let enrolledAt: Date
        let revokedAt: Date?
        let lastSeenAt: Date?
        let lastPullAt: Date?
        let lastPushAt: Date?
        let protocolVersion: Int?
        let clockOffsetMs: Int64?
        let clockSkewed: Bool
        let outboxDepth: Int?
        let lastMutationID: Int64
        var allotments: [SyncAllotment]
    }

    func nodes(venue: UUID, organizer: UUID, logger: Logger) async throws -> [NodeSummary] {
        try await database.withConnection(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT id, venue_id, name, status, enrolled_at, revoked_at, last_seen_at, last_pull_at, last_push_at,
                       protocol_version, clock_offset_ms, clock_skewed, outbox_depth, last_mutation_id
                FROM nodes WHERE venue_id = \(venue) AND organizer_id = \(organizer) ORDER BY enrolled_at, id
                """, logger: logger)
            var nodes: [NodeSummary] = []
            for try await row in rows.decode(
                (UUID, UUID, String, String, Date, Date?, Date?, Date?, Date?, Int?, Int64?, Bool, Int?, Int64).self)
            {
                nodes.append(NodeSummary(
                    id: row.0, venueID: row.1, name: row.2, status: row.3, enrolledAt: row.4, revokedAt: row.5,
                    lastSeenAt: row.6, lastPullAt: row.7, lastPushAt: row.8, protocolVersion: row.9, clockOffsetMs: row.10,
                    clockSkewed: row.11, outboxDepth: row.12, lastMutationID: row.13, allotments: []))
            }
            for index in nodes.indices {
                nodes[index].allotments = try await Self.allotments(node: nodes[index].id, on: connection, logger: logger)
            }
            return nodes
        }
    }

    /// Stores where `node` is reached on its venue's LAN (written only when it changed) and
    /// lists the venue's other active nodes with theirs (sync-v2.md §6.5).
    func venuePeers(of node: AuthenticatedNode, advertise: [String], logger: Logger) async throws
        -> (nodes: [VenuePeer], kioskFailover: KioskFailover)
    {
        try await database.query(
            "UPDATE nodes SET lan_urls = \(advertise) WHERE id = \(node.id) AND lan_urls IS DISTINCT FROM \(advertise)",
            logger: logger)
        let rows = try await database.query(
            """
            SELECT id, name, device_public_key, lan_urls, last_seen_at FROM nodes
            WHERE venue_id = \(node.venueID) AND status = 'active' AND id <> \(node.id)
            ORDER BY name, id
            """, logger: logger)
        var peers: [VenuePeer] = []
        for try await (id, name, key, urls, lastSeen) in rows.decode((UUID, String, ByteBuffer, [String], Date?).self) {
            peers.append(VenuePeer(
                nodeID: id, name: name, devicePublicKey: Data(buffer: key).base64EncodedString(), urls: urls, lastSeenAt: lastSeen))
        }
        let setting = try await database.query(
            "SELECT kiosk_failover FROM venues WHERE id = \(node.venueID)", logger: logger)
        var kioskFailover: KioskFailover?
        for try await value in setting.decode(KioskFailover.self) { kioskFailover = value }
        guard let kioskFailover else { throw DomainError.notFound("Venue") }
        return (peers, kioskFailover)
    }

    /// Revokes a node: its credentials stop working at once and its device certificate
    /// leaves every trust bundle. Its allotments stay until the organizer takes them back.
    func revoke(node: UUID, organizer: UUID, actor: UUID, now: Date, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            guard try await connection.returnsRow(
                """
                UPDATE nodes SET status = 'revoked', revoked_at = \(now)
                WHERE id = \(node) AND organizer_id = \(organizer) AND status = 'active' RETURNING id
                """, logger: logger)
            else { throw DomainError.notFound("Active node") }
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "node.revoke", entityType: "node", entityID: node,
                changes: ["status": .init(from: "active", to: "revoked")], at: now, logger: logger)
        }
    }
}
