import Foundation
import Logging
import SpotServer

/// The accounts the demo prints: an admin and a verified organizer with known passwords,
/// for trying the API locally. Never created outside `spot demo`.
public enum DemoAccounts {
    public static let adminEmail = "admin@demo.hvflvspot.test"
    public static let organizerEmail = "organizer@demo.hvflvspot.test"
    public static let password = "demo password 2026"

    /// Creates both accounts unless they exist; returns whether it created them.
    @discardableResult
    public static func ensure(in database: Database, now: Date = Date(), logger: Logger) async throws -> Bool {
        let auth = AuthRepository(database: database, sessions: LiveSessions())
        guard try await auth.credentials(email: adminEmail, logger: logger) == nil else { return false }
        let admin = try await ServerMaintenance.createAdmin(
            email: adminEmail, password: password, displayName: "Demo Admin", database: database, now: now, logger: logger)
        let hash = try await PasswordHasher().hash(password)
        let (organizer, _, _) = try await auth.register(
            email: organizerEmail, passwordHash: hash, displayName: "Demo Organizer", role: .organizer,
            organizerName: "HVFLVSPOT Demo Events", clientAddress: "demo", now: now, logger: logger)
        let organizers = OrganizerRepository(database: database, sessions: LiveSessions())
        if let profile = try await organizers.organizer(userID: organizer.id, logger: logger) {
            _ = try await organizers.verify(id: profile.id, admin: admin.id, now: now, logger: logger)
        }
        return true
    }

    /// Published events in the database.
    public static func publishedEvents(in database: Database, logger: Logger) async throws -> Int {
        let rows = try await database.query("SELECT count(*)::int FROM events WHERE status = 'published'", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
