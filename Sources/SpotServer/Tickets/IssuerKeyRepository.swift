import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Each organizer's issuer key ring (`organizer_keys`): one active Ed25519 key signs
/// their tickets; rotation retires it, and a retired key keeps verifying until the
/// last ticket it signed has expired. The public ring is published as a trust bundle.
/// (Seeds are stored in PostgreSQL, like the JWT secret: protect the database and its backups.)
struct IssuerKeyRepository: Sendable {
    let database: Database

    /// The organizer's active signing key, created on first use.
    static func activeKey(organizer: UUID, on connection: PostgresConnection, now: Date, logger: Logger) async throws -> SigningKey {
        if let key = try await active(organizer: organizer, on: connection, logger: logger) { return key }
        let key = SigningKey()
        try await connection.query(
            """
            INSERT INTO organizer_keys (key_id, organizer_id, public_key, seed, status, created_at)
            VALUES (\(key.keyID.hex), \(organizer), \(Data(key.publicKey.rawRepresentation)), \(Data(key.seed)), 'active', \(now))
            ON CONFLICT (organizer_id) WHERE status = 'active' DO NOTHING
            """, logger: logger)
        // A concurrent transaction may have created it first: use whichever is active.
        guard let active = try await active(organizer: organizer, on: connection, logger: logger) else {
            throw InternalInconsistency("organizer \(organizer) has no active issuer key after creating one")
        }
        return active
    }

    private static func active(organizer: UUID, on connection: PostgresConnection, logger: Logger) async throws -> SigningKey? {
        let rows = try await connection.query(
            "SELECT seed FROM organizer_keys WHERE organizer_id = \(organizer) AND status = 'active'", logger: logger)
        for try await seed in rows.decode(Data.self) { return try SigningKey(seed: seed) }
        return nil
    }

    /// Retires the active key (verifying until its tickets' last validity end) and activates a new one.
    func rotate(organizer: UUID, now: Date, logger: Logger) async throws -> (retired: KeyID?, active: KeyID) {
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended('organizer-keys:' || \(organizer.uuidString), 0))",
                logger: logger)
            var retired: KeyID?
            let rows = try await connection.query(
                """
                SELECT k.key_id,
                       greatest(\(now), max(e.ends_at) + make_interval(secs => \(TicketClaims.validityAfterEventEnd)))
                FROM organizer_keys k
                LEFT JOIN tickets t ON t.key_id = k.key_id
                LEFT JOIN events e ON e.id = t.event_id
                WHERE k.organizer_id = \(organizer) AND k.status = 'active'
                GROUP BY k.key_id
                """, logger: logger)
            for try await (keyID, until) in rows.decode((String, Date).self) {
                try await connection.query(
                    """
                    UPDATE organizer_keys SET status = 'retired', verifies_until = \(until), retired_at = \(now)
                    WHERE key_id = \(keyID)
                    """, logger: logger)
                retired = KeyID(hex: keyID)
            }
            let key = try await Self.activeKey(organizer: organizer, on: connection, now: now, logger: logger)
            return (retired, key.keyID)
        }
    }

    /// The public ring: active and retired keys (retired ones still verifying or not — the verifier decides).
    func publicKeys(organizer: UUID, logger: Logger) async throws -> [IssuerKey] {
        try await database.withConnection(logger: logger) { connection in
            try await Self.publicKeys(organizers: [organizer], on: connection, logger: logger)
        }
    }

    static func publicKeys(organizers: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [IssuerKey] {
        let rows = try await connection.query(
            """
            SELECT public_key, status, verifies_until FROM organizer_keys
            WHERE organizer_id = ANY(\(organizers)) ORDER BY created_at
            """, logger: logger)
        var keys: [IssuerKey] = []
        for try await (raw, status, until) in rows.decode((Data, String, Date?).self) {
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            keys.append(IssuerKey(
                publicKey: publicKey, status: status == "active" ? .active : .retired(verifiesUntil: until ?? .distantPast)))
        }
        return keys
    }

    /// The organizer's trust bundle, as verifiers and nodes read it.
    func trustBundle(organizer: UUID, logger: Logger) async throws -> TrustBundle {
        TrustBundle(issuerKeys: try await publicKeys(organizer: organizer, logger: logger), certificates: [])
    }
}
