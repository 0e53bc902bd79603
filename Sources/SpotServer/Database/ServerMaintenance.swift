import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO
import Prometheus

/// One-off work on the server's database (`spot server migrate`, `create-admin`, `seed`, benchmarks).
public enum ServerMaintenance {
    /// Runs `body` with a migrated database behind a running client.
    public static func withDatabase<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: @Sendable (Database) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger.backgroundErrorsOnly)
        let database = Database(client: client, maximumConnections: 20, registry: PrometheusCollectorRegistry())
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            try await Migrator().migrate(client, logger: logger)
            return try await body(database)
        }
    }

    /// Creates an admin account (the first one bootstraps the system).
    public static func createAdmin(
        email: String, password: String, displayName: String, database: Database, now: Date = Date(), logger: Logger
    ) async throws -> User {
        var validator = Validator()
        let email = validator.email(email)
        validator.check(password.utf8.count >= 10, "password", "must be at least 10 characters")
        validator.check(password.utf8.count <= 72, "password", "must be at most 72 bytes")
        let name = validator.text(displayName, "name", maxLength: 100)
        if !validator.problems.isEmpty {
            throw MaintenanceError(validator.problems.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; "))
        }
        let hash = try await PasswordHasher().hash(password)
        do {
            return try await AuthRepository(database: database, sessions: LiveSessions()).createUser(
                email: email!, passwordHash: hash, displayName: name!, role: .admin, now: now, logger: logger)
        } catch let error as DomainError where error.code == .emailTaken {
            throw MaintenanceError("an account with the email \(email!) already exists")
        }
    }
}

extension Logger {
    /// This logger, reporting only errors: for short-lived clients, whose pool chatter
    /// (e.g. a lease requested a moment before `run()` starts) is noise.
    var backgroundErrorsOnly: Logger {
        var logger = self
        logger.logLevel = max(logger.logLevel, .error)
        return logger
    }
}

extension ServerMaintenance {
    /// Rotates the issuer key of `organizer` (all organizers that have keys when nil):
    /// the active key retires, verifying until its tickets expire, and a new one signs.
    /// Returns (organizer, retired key id, new key id) per organizer.
    public static func rotateKeys(
        organizer: UUID?, database: Database, now: Date = Date(), logger: Logger
    ) async throws -> [(organizer: UUID, retired: String?, active: String)] {
        var organizers: [UUID] = []
        if let organizer {
            let repository = OrganizerRepository(database: database, sessions: LiveSessions())
            guard try await repository.organizer(id: organizer, logger: logger) != nil else {
                throw MaintenanceError("no organizer \(organizer.uuidString.lowercased())")
            }
            organizers = [organizer]
        } else {
            let rows = try await database.query(
                "SELECT DISTINCT organizer_id FROM organizer_keys WHERE status = 'active' ORDER BY organizer_id", logger: logger)
            for try await id in rows.decode(UUID.self) { organizers.append(id) }
        }
        let keys = IssuerKeyRepository(database: database)
        var results: [(UUID, String?, String)] = []
        for id in organizers {
            let (retired, active) = try await keys.rotate(organizer: id, now: now, logger: logger)
            results.append((id, retired?.hex, active.hex))
        }
        return results
    }
}

/// A maintenance command could not do its work.
public struct MaintenanceError: Error, CustomStringConvertible {
    public let description: String
    package init(_ description: String) { self.description = description }
}
