import Foundation
import Hummingbird

/// `/api/v1/me`: the caller's contact details, notification preferences and delivery log.
struct NotificationController: Sendable {
    let database: Database
    let auth: AuthRepository
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.patch("me", use: updateMe)
        api.get("me/notifications", use: notifications)
        api.get("me/notification-preferences", use: preferences)
        api.put("me/notification-preferences", use: setPreferences)
    }

    struct MeRequest: Decodable {
        let displayName: String?
        /// E.164 (`+491701234567`); "" removes it (no more SMS).
        let phone: String?
    }

    struct Profile: ResponseEncodable {
        let user: User
        let phone: String?
    }

    @Sendable func updateMe(_ request: Request, context: AppRequestContext) async throws -> Profile {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: MeRequest.self, context: context)
        var validator = Validator()
        let name = validator.text(body.displayName, "display_name", required: false, maxLength: 100)
        if let name { validator.check(!name.isEmpty, "display_name", "must not be empty") }
        let phone = body.phone.map { $0.replacingOccurrences(of: " ", with: "") }
        if let phone, !phone.isEmpty {
            validator.check(
                phone.hasPrefix("+") && (8...16).contains(phone.count) && phone.dropFirst().allSatisfy { $0.isASCII && $0.isNumber },
                "phone", "must be an international number such as +491701234567")
        }
        try validator.throwIfInvalid()
        let rows = try await database.query(
            """
            UPDATE users SET display_name = coalesce(\(name), display_name),
                phone = CASE WHEN \(phone)::text IS NULL THEN phone ELSE nullif(\(phone), '') END,
                updated_at = \(clock.now())
            WHERE id = \(identity.userID) RETURNING phone
            """, logger: context.logger)
        var stored: String?
        for try await value in rows.decode(String?.self) { stored = value }
        guard let user = try await auth.user(id: identity.userID, logger: context.logger) else { throw APIError.unauthorized }
        return Profile(user: user, phone: stored)
    }

    struct NotificationList: ResponseEncodable {
        let items: [NotificationRecord]
    }

    @Sendable func notifications(_ request: Request, context: AppRequestContext) async throws -> NotificationList {
        let identity = try context.requireIdentity()
        let rows = try await database.query(
            """
            SELECT id, channel, kind, recipient, subject, status, attempts, last_error, created_at, sent_at
            FROM notifications WHERE user_id = \(identity.userID) ORDER BY created_at DESC, id LIMIT 200
            """, logger: context.logger)
        var items: [NotificationRecord] = []
        for try await (id, channel, kind, recipient, subject, status, attempts, error, created, sent) in rows.decode(
            (UUID, String, String, String, String, String, Int, String?, Date, Date?).self)
        {
            items.append(.init(
                id: id, channel: NotificationChannel(rawValue: channel) ?? .email, kind: kind, recipient: recipient,
                subject: subject, status: status, attempts: attempts, lastError: error, createdAt: created, sentAt: sent))
        }
        return .init(items: items)
    }

    struct Preferences: ResponseEncodable, Decodable {
        let preferences: [NotificationPreferences.Preference]
    }

    private var store: NotificationPreferences { NotificationPreferences(database: database) }

    /// Every channel × kind, with the user's choice or the default (on).
    @Sendable func preferences(_ request: Request, context: AppRequestContext) async throws -> Preferences {
        .init(preferences: try await store.current(user: try context.requireIdentity().userID, logger: context.logger))
    }

    @Sendable func setPreferences(_ request: Request, context: AppRequestContext) async throws -> Preferences {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: Preferences.self, context: context)
        try await store.set(body.preferences, user: identity.userID, logger: context.logger)
        return .init(preferences: try await store.current(user: identity.userID, logger: context.logger))
    }
}
