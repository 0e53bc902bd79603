import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore

/// One forward-only schema step. Once a migration has landed it is never edited:
/// its checksum is recorded, and a server that finds a different checksum refuses to start.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    /// SHA-256 over the statements, hex.
    var checksum: String {
        let digest = SHA256.hash(data: Data(statements.joined(separator: "\u{0}").utf8))
        return Data(digest).hexString
    }
}

/// Applies migrations in version order, each in its own transaction under an
/// advisory lock (so replicas starting together never race), recording each in
/// `schema_migrations`.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = Migrations.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The highest version this build knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        var applied: [Int] = []
        try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                try await connection.query(Self.createTable, logger: logger)
            }
            let recorded = try await Self.recorded(connection, logger: logger)
            if let newest = recorded.keys.max(), newest > latestVersion {
                throw MigrationError.databaseNewer(database: newest, server: latestVersion)
            }
            for migration in migrations {
                if let checksum = recorded[migration.version] {
                    guard checksum == migration.checksum else { throw MigrationError.edited(migration.version) }
                    continue
                }
                let didApply = try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                    // Another replica may have applied it while we waited for the lock.
                    guard try await !connection.returnsRow(
                        "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
                    else { return false }
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """, logger: logger)
                    return true
                }
                if didApply {
                    logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    applied.append(migration.version)
                }
            }
        }
        return applied
    }

    /// The highest applied version (0 for an empty database).
    public static func currentVersion(_ client: PostgresClient, logger: Logger) async throws -> Int {
        let rows = try await client.query(
            "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    static let lockKey: Int64 = 0x5350_4F54_4D49_47  // "SPOTMIG"

    static let createTable: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    private static func recorded(_ connection: PostgresConnection, logger: Logger) async throws -> [Int: String] {
        var recorded: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) { recorded[version] = checksum }
        return recorded
    }
}

/// Why migrating stopped.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case databaseNewer(database: Int, server: Int)
    case edited(Int)

    public var description: String {
        switch self {
        case .databaseNewer(let database, let server):
            "the database is at migration \(database), newer than this server knows (\(server)): upgrade the server"
        case .edited(let version):
            "migration \(version) differs from the one applied to this database: landed migrations must never be edited"
        }
    }
}
