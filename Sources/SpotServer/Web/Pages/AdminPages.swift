import Foundation
import Hummingbird

/// The admin's side: organizer verification.
struct AdminPages: Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let clock: ServerClock

    /// The organizers to verify.
    struct AdminPage {
        struct Organizer {
            let id: String
            let name: String
            let verified: Bool
            let since: String
        }

        let notice: String?
        let organizers: [Organizer]
    }

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("admin", use: admin)
        site.post("admin/organizers/:id/verify", use: verify)
    }

    @Sendable func admin(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, to: "verify organizers")
        let list = try await organizers.list(verified: nil, logger: context.logger)
        return try pages.render(
            "admin", title: "Organizers",
            page: AdminPage(
                notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)),
                organizers: list.map {
                    .init(id: $0.id.lowercasedText, name: $0.name, verified: $0.verified, since: Formatting.dateTime($0.createdAt))
                }),
            web: context.web)
    }

    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, to: "verify organizers")
        _ = try await organizers.verify(
            id: try context.parameters.requireUUID("id"), admin: identity.userID, now: clock.now(), logger: context.logger)
        return .redirect(to: "/admin?notice=verified")
    }
}
