import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotServer

/// The fleet benchmark's world: one organizer (a large promoter) with `venues` venues, each
/// holding one published event and `nodesPerVenue` enrolled nodes with device credentials,
/// written set-wise. Every run makes a fresh organizer, so runs never see each other's nodes.
public struct FleetBenchmarkSetup: Sendable {
    public struct Node: Sendable {
        public let id: UUID
        public let venueID: UUID
        public let token: String
    }

    public let organizerID: UUID
    public let nodes: [Node]

    public static func prepare(
        venues: Int, nodesPerVenue: Int, database: Database, now: Date = Date(), logger: Logger
    ) async throws -> FleetBenchmarkSetup {
        try await database.withTransaction(logger: logger) { connection in
            let (user, organizer) = (UUID.now(now), UUID.now(now))
            let email = "fleet-\(organizer.lowercasedText)@bench.hvflvspot.test"
            let key = SigningKey()
            let statements: [PostgresQuery] = try [
                """
                INSERT INTO users (id, email, email_normalized, password_hash, display_name, role)
                VALUES (\(user), \(email), \(email), 'x', 'Fleet benchmark', 'organizer')
                """,
                "INSERT INTO organizers (id, user_id, name, verified_at) VALUES (\(organizer), \(user), 'Fleet benchmark', \(now))",
                """
                INSERT INTO organizer_keys (key_id, organizer_id, public_key, seed, status, created_at)
                VALUES (\(key.keyID.hex), \(organizer), \(Data(key.publicKey.rawRepresentation)), \(Data(key.seed)), 'active', \(now))
                """,
                """
                INSERT INTO venues (id, organizer_id, name, city, address, time_zone)
                SELECT gen_random_uuid(), \(organizer), 'Fleet venue ' || i, 'Berlin', 'Allee ' || i, 'Europe/Berlin'
                FROM generate_series(1, \(venues)) AS i
                """,
                """
                INSERT INTO events (id, organizer_id, venue_id, category_id, title, starts_at, ends_at, status, published_at)
                SELECT gen_random_uuid(), \(organizer), v.id, 'music', 'Fleet night', \(now.addingTimeInterval(3600)),
                       \(now.addingTimeInterval(8 * 3600)), 'published', \(now)
                FROM venues v WHERE v.organizer_id = \(organizer)
                """,
                """
                INSERT INTO nodes (id, venue_id, organizer_id, name, device_public_key, status, enrolled_at)
                SELECT gen_random_uuid(), v.id, \(organizer), 'Door ' || n, decode(md5(random()::text) || md5(random()::text), 'hex'), 'active', \(now)
                FROM venues v CROSS JOIN generate_series(1, \(nodesPerVenue)) AS n WHERE v.organizer_id = \(organizer)
                """,
            ]
            for statement in statements { try await connection.query(statement, logger: logger) }
            var enrolled: [(UUID, UUID)] = []
            let rows = try await connection.query(
                "SELECT id, venue_id FROM nodes WHERE organizer_id = \(organizer) ORDER BY venue_id, id", logger: logger)
            for try await row in rows.decode((UUID, UUID).self) { enrolled.append(row) }
            var nodes: [Node] = []
            for (id, venue) in enrolled {
                let credential = try await NodeCredential.issue(node: id, on: connection, now: now, logger: logger)
                nodes.append(Node(id: id, venueID: venue, token: credential.token))
            }
            return FleetBenchmarkSetup(organizerID: organizer, nodes: nodes)
        }
    }

    /// Retires the organizer's signing key for a new one — a revocation every node of every
    /// venue must learn — and returns the new key's id.
    public func revokeKey(database: Database, logger: Logger) async throws -> String {
        guard let rotated = try await ServerMaintenance.rotateKeys(organizer: organizerID, database: database, logger: logger).first
        else { throw MaintenanceError("the fleet organizer has no key") }
        return rotated.active
    }
}
