import Foundation
import Hummingbird

/// The admin's side: organizer verification.
struct AdminPages: Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let clock: ServerClock

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
            page: [
                "notice": Notice.message(request.uri.queryParameters["notice"].map(String.init)) as Any,
                "organizers": list.map {
                    [
                        "id": $0.id.uuidString.lowercased(), "name": $0.name, "verified": $0.verified,
                        "since": Formatting.dateTime($0.createdAt),
                    ] as [String: Any]
                },
            ] as [String: Any], web: context.web)
    }

    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, to: "verify organizers")
        _ = try await organizers.verify(
            id: try context.parameters.requireUUID("id"), admin: identity.userID, now: clock.now(), logger: context.logger)
        return .redirect(to: "/admin?notice=verified")
    }
}
