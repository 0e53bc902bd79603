import Foundation
import Hummingbird
import SpotCore
import SpotSync

/// The organizer's side of venue nodes: enrollment codes, the nodes of a venue with
/// their sync health, revocation, allotments, and the conflicts nodes' facts raised.
struct NodeController: Sendable {
    let nodes: NodeRepository
    let venues: VenueRepository
    let organizers: OrganizerRepository
    let database: Database
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("venues/:id/enrollment-codes", use: createCode)
        api.get("venues/:id/nodes", use: list)
        api.post("nodes/:id/revoke", use: revoke)
        api.put("nodes/:id/allotments/:ticketType", use: setAllotment)
        api.get("events/:id/conflicts", use: conflicts)
        api.post("conflicts/:id/resolve", use: resolve)
    }

    struct CodeRequest: Decodable {
        let name: String?
        let expiresInHours: Int?
    }

    struct EnrollmentCode: ResponseEncodable {
        let code: String
        @LowercaseUUID var venueID: UUID
        let name: String
        let expiresAt: Date
    }

    @Sendable func createCode(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<EnrollmentCode> {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let venue = try await venues.venue(
            id: try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
        let body = try await request.decodeJSONIfPresent(as: CodeRequest.self, context: context)
        var validator = Validator()
        let name = validator.text(body?.name ?? "Door", "name", maxLength: 100) ?? "Door"
        let hours = body?.expiresInHours ?? 24
        validator.check((1...720).contains(hours), "expires_in_hours", "must be 1 to 720")
        try validator.throwIfInvalid()
        let (code, expiresAt) = try await nodes.createEnrollmentCode(
            venue: venue.id, organizer: organizer.id, name: name, createdBy: identity.userID,
            lifetime: TimeInterval(hours) * 3600, now: clock.now(), logger: context.logger)
        return EditedResponse(
            status: .created, response: EnrollmentCode(code: code, venueID: venue.id, name: name, expiresAt: expiresAt))
    }

    struct NodeList: ResponseEncodable {
        let items: [NodeRepository.NodeSummary]
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> NodeList {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        let venue = try await venues.venue(
            id: try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
        return NodeList(items: try await nodes.nodes(venue: venue.id, organizer: organizer.id, logger: context.logger))
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        try await nodes.revoke(
            node: try context.parameters.requireUUID("id"), organizer: organizer.id, actor: identity.userID,
            now: clock.now(), logger: context.logger)
        return .noContent
    }

    struct AllotmentRequest: Decodable {
        @InRange<Bounds.AllotmentSeats> var granted: Int
    }

    @Sendable func setAllotment(_ request: Request, context: AppRequestContext) async throws -> SyncAllotment {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSON(as: AllotmentRequest.self, context: context)
        return try await nodes.setAllotment(
            node: try context.parameters.requireUUID("id"), ticketType: try context.parameters.requireUUID("ticketType"),
            granted: body.granted, organizer: organizer.id, actor: identity.userID, now: clock.now(),
            logger: context.logger)
    }

    /// The event's conflicts, newest first, filtered and paged like its check-ins.
    @Sendable func conflicts(_ request: Request, context: AppRequestContext) async throws -> RecordPage<SyncConflict> {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        let event = try context.parameters.requireUUID("id")
        guard try await database.withConnection(logger: context.logger, { connection in
            try await connection.returnsRow(
                "SELECT 1 FROM events WHERE id = \(event) AND organizer_id = \(organizer.id)", logger: context.logger)
        }) else { throw DomainError.notFound("Event") }
        let query = try EventRecordsController.conflictQuery(request)
        return try await EventRecordsRepository(database: database).conflicts(
            event: event, filter: query.filter, after: query.cursor, limit: query.limit, logger: context.logger)
    }

    struct ResolveRequest: Decodable {
        let note: String?
    }

    @Sendable func resolve(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSONIfPresent(as: ResolveRequest.self, context: context)
        try await ConflictRepository(database: database).resolve(
            try context.parameters.requireUUID("id"), organizer: organizer.id, actor: identity.userID, note: body?.note,
            now: clock.now(), logger: context.logger)
        return .noContent
    }
}
