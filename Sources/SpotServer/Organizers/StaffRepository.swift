import Foundation
import Logging
import SpotSync

/// An organizer's door-staff accounts: the same rules for the API and the web site.
struct StaffRepository: Sendable {
    let database: Database
    let hasher: PasswordHasher

    struct Member: Codable, Sendable {
        @LowercaseUUID var id: UUID
        let email: String
        let displayName: String
        let createdAt: Date
    }

    /// A new staff account's details, checked: a valid email, a name, a 10–72 byte password.
    struct NewMember: Sendable {
        let email: String
        let displayName: String
        let password: String

        init(email: String?, displayName: String?, password: String?) throws {
            var validator = Validator()
            let email = validator.email(email ?? "")
            let name = validator.text(displayName, "display_name", maxLength: 100)
            let password = password ?? ""
            validator.password(password)
            try validator.throwIfInvalid()
            self.email = email!
            self.displayName = name!
            self.password = password
        }
    }

    /// The organizer's staff, oldest first.
    func staff(organizer: UUID, logger: Logger) async throws -> [Member] {
        let rows = try await database.query(
            """
            SELECT u.id, u.email, u.display_name, s.created_at FROM staff_assignments s JOIN users u ON u.id = s.user_id
            WHERE s.organizer_id = \(organizer) ORDER BY s.created_at
            """, logger: logger)
        var items: [Member] = []
        for try await (id, email, name, created) in rows.decode((UUID, String, String, Date).self) {
            items.append(.init(id: id, email: email, displayName: name, createdAt: created))
        }
        return items
    }

    /// The organizers a staff account works for.
    func organizers(ofStaff user: UUID, logger: Logger) async throws -> Set<UUID> {
        let rows = try await database.query(
            "SELECT organizer_id FROM staff_assignments WHERE user_id = \(user)", logger: logger)
        var assigned = Set<UUID>()
        for try await organizer in rows.decode(UUID.self) { assigned.insert(organizer) }
        return assigned
    }

    /// Creates a door-staff account that checks in the organizer's events, audited; 409 when
    /// the email is taken.
    func create(_ member: NewMember, organizer: UUID, actor: UUID, now: Date, logger: Logger) async throws -> Member {
        let user = User(id: UUID.now(now), email: member.email, displayName: member.displayName, role: .staff, createdAt: now)
        let hash = try await hasher.hash(member.password)
        try await database.withTransaction(logger: logger) { connection in
            try await AuthRepository.insert(user, passwordHash: hash, on: connection, logger: logger)
            try await connection.query(
                "INSERT INTO staff_assignments (user_id, organizer_id, created_at) VALUES (\(user.id), \(organizer), \(now))",
                logger: logger)
            try await AuditLog.record(
                on: connection, actor: actor, organizer: organizer, action: "staff.create", entityType: "user",
                entityID: user.id, changes: ["email": .init(from: nil, to: user.email)], at: now, logger: logger)
        }
        return .init(id: user.id, email: user.email, displayName: user.displayName, createdAt: now)
    }
}
