import Foundation
import HTTPTypes
import Hummingbird
import SpotCore

/// `/api/v1/events/{id}/waiting-room`: the organizer sets, reads and removes the event's
/// waiting room; buyers join its line and read their place (with the pass, once let in).
struct WaitingRoomController: Sendable {
    let rooms: WaitingRoomRepository
    let gate: WaitingRoomGate
    let access: EventAccess
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let room = api.group("events/:id/waiting-room")
        room.put("", use: configure)
        room.get("", use: show)
        room.delete("", use: remove)
        room.post("entries", use: join)
        room.get("entries/me", use: mine)
    }

    struct SettingsRequest: Decodable {
        let opensAt: Date
        @InRange<Bounds.AdmitPerMinute> var admitPerMinute: Int
        @InRange<Bounds.PassMinutes> var passMinutes: Int
    }

    @Sendable func configure(_ request: Request, context: AppRequestContext) async throws -> WaitingRoom {
        let (event, _) = try await access.owned(
            try context.parameters.requireUUID("id"), by: try context.requireIdentity(), adminMay: true, logger: context.logger)
        let body = try await request.decodeJSON(as: SettingsRequest.self, context: context)
        return try await rooms.configure(
            event: event.id,
            .init(opensAt: body.opensAt, admitPerMinute: body.admitPerMinute, passMinutes: body.passMinutes),
            now: clock.now(), logger: context.logger)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> WaitingRoom {
        let (event, _) = try await access.owned(
            try context.parameters.requireUUID("id"), by: try context.requireIdentity(), adminMay: true, logger: context.logger)
        guard let room = try await rooms.room(event: event.id, logger: context.logger) else {
            throw DomainError.notFound("Waiting room")
        }
        return room
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let (event, _) = try await access.owned(
            try context.parameters.requireUUID("id"), by: try context.requireIdentity(), adminMay: true, logger: context.logger)
        guard try await rooms.remove(event: event.id, logger: context.logger) else { throw DomainError.notFound("Waiting room") }
        return .noContent
    }

    struct JoinRequest: Decodable {
        /// Any stable id of the buyer's device (8 to 128 characters): one place per device.
        let deviceID: String
    }

    @Sendable func join(_ request: Request, context: AppRequestContext) async throws -> WaitingRoomEntry {
        let identity = try context.requireIdentity()
        let event = try await access.visibleEvent(
            try context.parameters.requireUUID("id"), to: identity, logger: context.logger)
        let body = try await request.decodeJSON(as: JoinRequest.self, context: context)
        guard FieldLimits.deviceID.contains(body.deviceID.unicodeScalars.count) else {
            throw DomainError.validation(
                "device_id", "must be \(FieldLimits.deviceID.lowerBound) to \(FieldLimits.deviceID.upperBound) characters")
        }
        let now = clock.now()
        let place = try await rooms.join(
            event: event.id, user: identity.userID, device: body.deviceID, now: now, logger: context.logger)
        return gate.entry(event: event.id, user: identity.userID, place: place, now: now)
    }

    @Sendable func mine(_ request: Request, context: AppRequestContext) async throws -> WaitingRoomEntry {
        let identity = try context.requireIdentity()
        let event = try await access.visibleEvent(
            try context.parameters.requireUUID("id"), to: identity, logger: context.logger)
        guard let place = try await rooms.place(event: event.id, user: identity.userID, logger: context.logger) else {
            throw DomainError.notFound("Place in this waiting room")
        }
        return gate.entry(event: event.id, user: identity.userID, place: place, now: clock.now())
    }
}

extension WaitingRoom: ResponseEncodable {}
extension WaitingRoomEntry: ResponseEncodable {}

extension HTTPField.Name {
    /// The pass a waiting room gave the buyer, sent with `POST /api/v1/bookings`.
    static let waitingRoomPass = Self("Waiting-Room-Pass")!
}
