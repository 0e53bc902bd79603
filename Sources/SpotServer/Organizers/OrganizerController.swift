import Foundation
import Hummingbird

/// `/api/v1/organizers`: the caller's organizer profile, public profiles, the audit trail.
struct OrganizerController: Sendable {
    let repository: OrganizerRepository
    let database: Database
    let clock: ServerClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("", use: create)
        group.get("me", use: mine)
        group.patch("me", use: update)
        group.delete("me", use: delete)
        group.get("me/audit", use: audit)
        group.get(":id", use: show)
    }

    struct ProfileRequest: Decodable {
        let name: String?
        let description: String?
        let contactEmail: String?
        let website: String?
    }

    /// Validates a create (all of `name` needed) or an update (absent fields keep `current`; "" clears optional ones).
    static func fields(_ body: ProfileRequest, current: Organizer?) throws -> OrganizerRepository.Fields {
        var validator = Validator()
        let name = validator.text(body.name ?? current?.name, "name", maxLength: 200)
        let description = validator.text(body.description ?? current?.description ?? "", "description", required: false, maxLength: 5000)
        var contactEmail = body.contactEmail.map { $0.trimmingCharacters(in: .whitespaces) } ?? current?.contactEmail
        if contactEmail?.isEmpty == true { contactEmail = nil }
        if let email = contactEmail { _ = validator.email(email, "contact_email") }
        var website = body.website.map { $0.trimmingCharacters(in: .whitespaces) } ?? current?.website
        if website?.isEmpty == true { website = nil }
        if let site = website {
            let url = URL(string: site)
            validator.check(
                (url?.scheme == "https" || url?.scheme == "http") && url?.host != nil && site.count <= 500,
                "website", "must be an http(s) URL")
        }
        try validator.throwIfInvalid()
        return .init(name: name!, description: description ?? "", contactEmail: contactEmail, website: website)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Organizer> {
        let identity = try context.requireIdentity()
        try identity.require(.attendee, to: "become an organizer (it already is one, or is staff or admin)")
        let body = try await request.decodeJSON(as: ProfileRequest.self, context: context)
        let organizer = try await repository.create(
            userID: identity.userID, fields: try Self.fields(body, current: nil), now: clock.now(), logger: context.logger)
        return .init(status: .created, response: organizer)
    }

    @Sendable func mine(_ request: Request, context: AppRequestContext) async throws -> Organizer {
        try await repository.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Organizer {
        let identity = try context.requireIdentity()
        let current = try await repository.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSON(as: ProfileRequest.self, context: context)
        return try await repository.update(
            current, fields: try Self.fields(body, current: current), actor: identity.userID, now: clock.now(),
            logger: context.logger)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let current = try await repository.requireOwnProfile(identity, logger: context.logger)
        try await repository.delete(current, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .noContent
    }

    struct AuditPage: ResponseEncodable {
        let items: [AuditLog.Entry]
        /// Pass as `before` for the next (older) page; absent on the last page.
        let nextBefore: Int64?
    }

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> AuditPage {
        let organizer = try await repository.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        return try await Self.auditPage(organizer: organizer.id, request: request, database: database, context: context)
    }

    static func auditPage(organizer: UUID?, request: Request, database: Database, context: AppRequestContext) async throws -> AuditPage {
        let query = request.uri.queryParameters
        var validator = Validator()
        let before = validator.integer(query["before"], "before", in: 1...Int64.max)
        let limit = validator.integer(query["limit"], "limit", in: 1...200, default: 50) ?? 50
        try validator.throwIfInvalid()
        let items = try await AuditLog.entries(
            database: database, organizer: organizer, before: before, limit: limit, logger: context.logger)
        return .init(items: items, nextBefore: items.count == limit ? items.last?.id : nil)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Organizer {
        let id = try context.parameters.requireUUID("id")
        guard let organizer = try await repository.organizer(id: id, logger: context.logger) else {
            throw DomainError.notFound("Organizer")
        }
        return organizer
    }
}

extension Organizer: ResponseEncodable {}

/// `/api/v1/admin`: organizer verification, roles, the whole audit trail. Admins only.
struct AdminController: Sendable {
    let organizers: OrganizerRepository
    let users: AuthRepository
    let database: Database
    let clock: ServerClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("organizers", use: listOrganizers)
        group.post("organizers/:id/verify", use: verify)
        group.put("users/:id/role", use: setRole)
        group.get("audit", use: audit)
    }

    private func requireAdmin(_ context: AppRequestContext) throws -> Identity {
        let identity = try context.requireIdentity()
        try identity.require(.admin, to: "use the admin API")
        return identity
    }

    struct OrganizerList: ResponseEncodable {
        let items: [Organizer]
    }

    @Sendable func listOrganizers(_ request: Request, context: AppRequestContext) async throws -> OrganizerList {
        _ = try requireAdmin(context)
        let verified: Bool?
        switch request.uri.queryParameters["verified"].map(String.init) {
        case nil: verified = nil
        case "true": verified = true
        case "false": verified = false
        default: throw DomainError.validation("verified", "must be true or false")
        }
        return .init(items: try await organizers.list(verified: verified, logger: context.logger))
    }

    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Organizer {
        let admin = try requireAdmin(context)
        let id = try context.parameters.requireUUID("id")
        return try await organizers.verify(id: id, admin: admin.userID, now: clock.now(), logger: context.logger)
    }

    struct RoleRequest: Decodable {
        let role: String
    }

    /// Sets a user's role to attendee, staff or admin (organizers become one through their profile).
    @Sendable func setRole(_ request: Request, context: AppRequestContext) async throws -> User {
        let admin = try requireAdmin(context)
        let id = try context.parameters.requireUUID("id")
        let body = try await request.decodeJSON(as: RoleRequest.self, context: context)
        guard let role = Role(rawValue: body.role), role != .organizer else {
            throw DomainError.validation("role", "must be attendee, staff or admin")
        }
        guard id != admin.userID else { throw DomainError.conflict("Admins cannot change their own role.") }
        let now = clock.now()
        try await database.withTransaction(logger: context.logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE users u SET role = \(role.rawValue), updated_at = \(now)
                FROM users old WHERE u.id = \(id) AND old.id = u.id RETURNING old.role
                """, logger: context.logger)
            var previous: String?
            for try await old in rows.decode(String.self) { previous = old }
            guard let previous else { throw DomainError.notFound("User") }
            guard previous != Role.organizer.rawValue else {
                throw DomainError.conflict("This user is an organizer: they delete their organizer profile first.")
            }
            try await AuditLog.record(
                on: connection, actor: admin.userID, organizer: nil, action: "user.role", entityType: "user", entityID: id,
                changes: ["role": .init(from: previous, to: role.rawValue)], at: now, logger: context.logger)
        }
        users.sessions.forget(user: id)
        guard let user = try await users.user(id: id, logger: context.logger) else { throw DomainError.notFound("User") }
        return user
    }

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> OrganizerController.AuditPage {
        _ = try requireAdmin(context)
        return try await OrganizerController.auditPage(organizer: nil, request: request, database: database, context: context)
    }
}
