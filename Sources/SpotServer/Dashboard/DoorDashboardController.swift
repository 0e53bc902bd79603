import Foundation
import Hummingbird

/// `/api/v1/events/{id}/dashboard` (JSON) and `/dashboard/stream` (Server-Sent Events of the
/// same JSON): an event's doors, live, for its organizer and admins.
struct DoorDashboardController: Sendable {
    let access: EventAccess
    let repository: DoorDashboardRepository
    let stream: DoorDashboardStream
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("events/:id/dashboard", use: dashboard)
        api.get("events/:id/dashboard/stream", use: live)
    }

    private func ownedEvent(_ context: AppRequestContext) async throws -> Event {
        try await access.owned(
            try context.parameters.requireUUID("id"), by: try context.requireIdentity(), adminMay: true, logger: context.logger
        ).0
    }

    @Sendable func dashboard(_ request: Request, context: AppRequestContext) async throws -> DoorDashboard {
        try await repository.dashboard(of: try await ownedEvent(context), now: clock.now(), logger: context.logger)
    }

    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Response {
        stream.response(try await ownedEvent(context), logger: context.logger) { dashboard in
            String(decoding: try JSONCoding.encoder.encode(dashboard), as: UTF8.self)
        }
    }
}

extension DoorDashboard: ResponseEncodable {}
