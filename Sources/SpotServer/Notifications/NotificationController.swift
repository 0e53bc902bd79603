import Foundation
import Hummingbird

/// `/api/v1/me`: the caller's contact details, notification preferences and delivery log.
struct NotificationController: Sendable {
    let database: Database
    let auth: AuthRepository
    let clock: ServerClock

    private var contacts: ContactDetails { ContactDetails(database: database) }

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
        let stored = try await contacts.update(
            user: identity.userID, displayName: body.displayName, phone: body.phone, now: clock.now(), logger: context.logger)
        guard let user = try await auth.user(id: identity.userID, logger: context.logger) else { throw DomainError.unauthenticated }
        return Profile(user: user, phone: stored)
    }

    struct NotificationList: ResponseEncodable {
        let items: [NotificationRecord]
    }

    @Sendable func notifications(_ request: Request, context: AppRequestContext) async throws -> NotificationList {
        let identity = try context.requireIdentity()
        let items = try await contacts.notifications(user: identity.userID, limit: 200, logger: context.logger)
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
