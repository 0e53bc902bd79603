import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotServer

/// A venue for the sync benchmarks: one published event with `tickets` sold tickets,
/// written with set-wise SQL (payloads are placeholders: a snapshot does not carry them).
/// Its organizer's issuer key is returned so the benchmark can sign payloads for the
/// tickets it scans. Re-running with the same database reuses the venue and its tickets,
/// after forgetting what earlier runs left (nodes, scans, sales, conflicts, feed entries),
/// so every run measures the same work.
public struct SyncBenchmarkVenue: Sendable {
    public let venueID: UUID
    public let eventID: UUID
    public let ticketTypeID: UUID
    public let issuer: SigningKey
    public let ticketCount: Int

    static let email = "sync-bench@bench.hvflvspot.test"

    /// The benchmark venue with at least `tickets` tickets, created or topped up.
    public static func prepare(tickets: Int, database: Database, now: Date = Date(), logger: Logger) async throws -> SyncBenchmarkVenue {
        try await database.withTransaction(logger: logger) { connection in
            var existing: (UUID, UUID, UUID, Data, UUID)?
            let rows = try await connection.query(
                """
                SELECT v.id, e.id, t.id, k.seed, o.id FROM users u JOIN organizers o ON o.user_id = u.id
                JOIN venues v ON v.organizer_id = o.id JOIN events e ON e.venue_id = v.id
                JOIN ticket_types t ON t.event_id = e.id JOIN organizer_keys k ON k.organizer_id = o.id AND k.status = 'active'
                WHERE u.email_normalized = \(email) LIMIT 1
                """, logger: logger)
            for try await row in rows.decode((UUID, UUID, UUID, Data, UUID).self) { existing = row }
            if existing == nil {
                let (user, organizer, venue, event, type) = (UUID.now(now), UUID.now(now), UUID.now(now), UUID.now(now), UUID.now(now))
                let key = SigningKey()
                try await connection.query(
                    """
                    INSERT INTO users (id, email, email_normalized, password_hash, display_name, role)
                    VALUES (\(user), \(email), \(email), 'x', 'Sync benchmark', 'organizer')
                    """, logger: logger)
                try await connection.query(
                    "INSERT INTO organizers (id, user_id, name, verified_at) VALUES (\(organizer), \(user), 'Sync benchmark', \(now))",
                    logger: logger)
                try await connection.query(
                    """
                    INSERT INTO venues (id, organizer_id, name, city, address, time_zone)
                    VALUES (\(venue), \(organizer), 'Benchmark Arena', 'Berlin', 'Allee 1', 'Europe/Berlin')
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO events (id, organizer_id, venue_id, category_id, title, starts_at, ends_at, status, published_at)
                    VALUES (\(event), \(organizer), \(venue), 'music', 'Benchmark Night', \(now.addingTimeInterval(3600)),
                            \(now.addingTimeInterval(8 * 3600)), 'published', \(now))
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO ticket_types (id, event_id, name, price_minor, currency, capacity)
                    VALUES (\(type), \(event), 'Standard', 2500, 'EUR', 10000000)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO organizer_keys (key_id, organizer_id, public_key, seed, status, created_at)
                    VALUES (\(key.keyID.hex), \(organizer), \(Data(key.publicKey.rawRepresentation)), \(Data(key.seed)), 'active', \(now))
                    """, logger: logger)
                existing = (venue, event, type, Data(key.seed), organizer)
            }
            let (venue, event, type, seed, _) = existing!
            try await forgetEarlierRuns(venue: venue, event: event, on: connection, logger: logger)
            let issuer = try SigningKey(seed: seed)
            let countRows = try await connection.query("SELECT count(*)::int FROM tickets WHERE event_id = \(event)", logger: logger)
            var count = 0
            for try await value in countRows.decode(Int.self) { count = value }
            if count < tickets {
                let missing = tickets - count
                let booking = UUID.now(now)
                let userRows = try await connection.query(
                    "SELECT id FROM users WHERE email_normalized = \(email)", logger: logger)
                var user = UUID()
                for try await id in userRows.decode(UUID.self) { user = id }
                try await connection.query(
                    """
                    INSERT INTO bookings (id, user_id, event_id, status, quantity, paid_at) VALUES (\(booking), \(user), \(event), 'paid', \(missing), \(now))
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO tickets (id, booking_id, event_id, ticket_type_id, owner_user_id, price_minor, issue_version, key_id,
                                         payload, status, issued_at)
                    SELECT gen_random_uuid(), \(booking), \(event), \(type), \(user), 2500, 1, \(issuer.keyID.hex), '', 'valid', \(now)
                    FROM generate_series(1, \(missing))
                    """, logger: logger)
                try await connection.query(
                    "UPDATE ticket_types SET reserved = reserved + \(missing) WHERE id = \(type)", logger: logger)
                count = tickets
            }
            return SyncBenchmarkVenue(
                venueID: venue, eventID: event, ticketTypeID: type, issuer: issuer, ticketCount: count)
        }
    }

    /// Vacuums what ``prepare(tickets:database:now:logger:)`` deleted, so autovacuum does not
    /// wake up in the middle of a measurement (VACUUM cannot run inside a transaction).
    public func settle(database: Database, logger: Logger) async throws {
        try await database.query(
            "VACUUM (ANALYZE) scans, conflicts, sync_feed, node_mutations, nodes, door_sales, door_tickets, tickets",
            logger: logger)
    }

    /// Deletes the venue's nodes and everything they pushed or were granted, and its feed.
    private static func forgetEarlierRuns(
        venue: UUID, event: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let statements: [PostgresQuery] = [
            "DELETE FROM conflicts WHERE event_id = \(event)",
            "DELETE FROM scans WHERE event_id = \(event)",
            "DELETE FROM door_tickets WHERE event_id = \(event)",
            "DELETE FROM door_sales WHERE event_id = \(event)",
            "DELETE FROM allotments WHERE node_id IN (SELECT id FROM nodes WHERE venue_id = \(venue))",
            "DELETE FROM node_mutations WHERE node_id IN (SELECT id FROM nodes WHERE venue_id = \(venue))",
            "DELETE FROM device_certificates WHERE node_id IN (SELECT id FROM nodes WHERE venue_id = \(venue))",
            "DELETE FROM node_credentials WHERE node_id IN (SELECT id FROM nodes WHERE venue_id = \(venue))",
            "DELETE FROM node_enrollment_codes WHERE venue_id = \(venue)",
            "DELETE FROM nodes WHERE venue_id = \(venue)",
            "UPDATE ticket_types SET allotted = 0 WHERE event_id = \(event)",
            "DELETE FROM sync_feed WHERE venue_id = \(venue) AND kind IN ('scan', 'conflict')",
        ]
        for statement in statements { try await connection.query(statement, logger: logger) }
    }

    /// Lets the venue's organizer sign in with `password` (the door staff of the online
    /// check-in benchmark), and returns the account's email.
    public func setOrganizerPassword(_ password: String, database: Database, logger: Logger) async throws -> String {
        let hash = try await PasswordHasher(cost: 4).hash(password)
        try await database.query(
            "UPDATE users SET password_hash = \(hash) WHERE email_normalized = \(Self.email)", logger: logger)
        return Self.email
    }

    /// Adds `count` online check-ins of the event's tickets (what an export reads), spread
    /// over gates and a second each, in one statement.
    public func addCheckIns(_ count: Int, now: Date = Date(), database: Database, logger: Logger) async throws {
        try await database.query(
            """
            INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict)
            SELECT gen_random_uuid(), gen_random_uuid(), 1, \(eventID), 'entry', 'Gate ' || (g % 8 + 1), \(CheckInService.serverNodeID),
                   g, \(now) - g * interval '1 second', 'ok'
            FROM generate_series(1, \(count)) g
            """, logger: logger)
    }

    /// Online check-ins admitted for the venue's event (the server records them under its own node id).
    public func admittedOnline(database: Database, logger: Logger) async throws -> Int {
        let rows = try await database.query(
            """
            SELECT count(*)::int FROM scans
            WHERE event_id = \(eventID) AND verdict = 'ok' AND node_id = \(CheckInService.serverNodeID)
            """, logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    /// A one-time enrollment code for a node of the benchmark venue.
    public func enrollmentCode(database: Database, now: Date = Date(), logger: Logger) async throws -> String {
        let rows = try await database.query(
            "SELECT o.id, o.user_id FROM venues v JOIN organizers o ON o.id = v.organizer_id WHERE v.id = \(venueID)",
            logger: logger)
        var owner: (UUID, UUID)?
        for try await row in rows.decode((UUID, UUID).self) { owner = row }
        guard let (organizer, user) = owner else { throw DomainError.notFound("Benchmark venue") }
        return try await NodeRepository(database: database).createEnrollmentCode(
            venue: venueID, organizer: organizer, name: "Bench", createdBy: user, lifetime: 3600, now: now, logger: logger
        ).code
    }

    /// `limit` ticket ids of the venue, in a stable order.
    public func ticketIDs(limit: Int, database: Database, logger: Logger) async throws -> [UUID] {
        let rows = try await database.query(
            "SELECT id FROM tickets WHERE event_id = \(eventID) ORDER BY id LIMIT \(limit)", logger: logger)
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// Scans stored for the venue's event.
    public func scanCount(database: Database, logger: Logger) async throws -> Int {
        let rows = try await database.query("SELECT count(*)::int FROM scans WHERE event_id = \(eventID)", logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    /// Conflicts recorded for the venue's event.
    public func conflictCount(database: Database, logger: Logger) async throws -> Int {
        let rows = try await database.query(
            "SELECT count(*)::int FROM conflicts WHERE event_id = \(eventID)", logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    /// Raw PostgreSQL inserts of `rows` scan-sized rows in one statement (the physical limit beside a merge).
    public static func rawInsertSeconds(rows: Int, database: Database, logger: Logger) async throws -> Double {
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                CREATE TEMPORARY TABLE raw_scans (id uuid PRIMARY KEY, ticket_id uuid, event_id uuid, node_id uuid,
                    gate text, direction text, hlc bigint, verdict text) ON COMMIT DROP
                """, logger: logger)
            let start = ContinuousClock.now
            try await connection.query(
                """
                INSERT INTO raw_scans SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'A',
                    'entry', g, 'ok' FROM generate_series(1, \(rows)) g
                """, logger: logger)
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }
}
