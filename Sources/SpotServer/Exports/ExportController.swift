import Foundation
import Hummingbird

/// `/api/v1/events/{id}/exports/{kind}` and `/api/v1/organizers/me/exports/{kind}`: an
/// event's, or all of an organizer's, records as a CSV download (``ExportKind``).
struct ExportController: Sendable {
    let exporter: CSVExporter
    let access: EventAccess
    let organizers: OrganizerRepository

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("events/:id/exports/:kind", use: eventExport)
        api.get("organizers/me/exports/:kind", use: organizerExport)
    }

    /// The export the path names, or 404 naming those there are.
    static func kind(_ context: AppRequestContext) throws -> ExportKind {
        guard let kind = context.parameters.get("kind").flatMap(ExportKind.init(rawValue:)) else {
            throw DomainError.notFound(
                "That export (there are \(ExportKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }

    /// One event's: its organizer's, or any admin's.
    @Sendable func eventExport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let kind = try Self.kind(context)
        let (event, _) = try await access.owned(
            try context.parameters.requireUUID("id"), by: identity, adminMay: true, logger: context.logger)
        return try await exporter.response(kind, .event(event.id), logger: context.logger)
    }

    /// Every event of the caller's own organizer profile.
    @Sendable func organizerExport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let kind = try Self.kind(context)
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        return try await exporter.response(kind, .organizer(organizer.id), logger: context.logger)
    }
}
