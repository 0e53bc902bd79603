import Foundation
import Hummingbird
import SpotCore

/// `/api/v1/venues`: an organizer's venues. Every route acts only on the caller's own.
struct VenueController: Sendable {
    let repository: VenueRepository
    let organizers: OrganizerRepository
    let timeZones: TimeZoneCatalog
    let clock: ServerClock

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("", use: list)
        group.post("", use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
    }

    struct VenueRequest: Decodable {
        let name: String?
        let city: String?
        let address: String?
        let timeZone: String?
        let kioskFailover: String?
    }

    /// The venue fields `body` asks for over `current`, or 422 with every bad field.
    static func fields(_ body: VenueRequest, current: Venue?, timeZones: TimeZoneCatalog) throws -> VenueRepository.Fields {
        var validator = Validator()
        let name = validator.text(body.name ?? current?.name, "name", maxLength: 200)
        let city = validator.text(body.city ?? current?.city, "city", maxLength: 100)
        let address = validator.text(body.address ?? current?.address, "address", maxLength: 500)
        let zone = validator.text(body.timeZone ?? current?.timeZone, "time_zone", maxLength: 64)
        if let zone, !zone.isEmpty, let problem = timeZones.problem(zone) { validator.check(false, "time_zone", problem) }
        let failover = body.kioskFailover.map { validator.vocabulary(Substring($0), "kiosk_failover", KioskFailover.self) }
            ?? current?.kioskFailover ?? .offer
        try validator.throwIfInvalid()
        return .init(name: name!, city: city!, address: address!, timeZone: zone!, kioskFailover: failover ?? .offer)
    }

    struct VenueList: ResponseEncodable {
        let items: [Venue]
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> VenueList {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        return .init(items: try await repository.venues(organizer: organizer.id, logger: context.logger))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Venue> {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSON(as: VenueRequest.self, context: context)
        let venue = try await repository.create(
            organizer: organizer.id, fields: try Self.fields(body, current: nil, timeZones: timeZones), actor: identity.userID, now: clock.now(),
            logger: context.logger)
        return .init(status: .created, response: venue)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Venue {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        return try await repository.venue(
            id: try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Venue {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let current = try await repository.venue(
            id: try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
        let body = try await request.decodeJSON(as: VenueRequest.self, context: context)
        return try await repository.update(
            current, fields: try Self.fields(body, current: current, timeZones: timeZones), actor: identity.userID, now: clock.now(),
            logger: context.logger)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let venue = try await repository.venue(
            id: try context.parameters.requireUUID("id"), organizer: organizer.id, logger: context.logger)
        try await repository.delete(venue, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .noContent
    }
}

extension Venue: ResponseEncodable {}
