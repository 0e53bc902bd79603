import Foundation
import Hummingbird
import SpotCore

/// The organizer's venues (add, edit, delete) and their nodes: enrollment codes, sync health,
/// revocation.
struct OrganizerVenuePages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let venues: VenueRepository
    let nodes: NodeRepository
    let timeZones: TimeZoneCatalog
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.post("organizer/venues", use: createVenue)
        site.get("organizer/venues/:id", use: venue)
        site.post("organizer/venues/:id", use: updateVenue)
        site.post("organizer/venues/:id/delete", use: deleteVenue)
        site.post("organizer/venues/:id/enrollment-codes", use: createCode)
        site.post("organizer/nodes/:id/revoke", use: revokeNode)
    }

    private func venueRequest(_ form: FormData) -> VenueController.VenueRequest {
        .init(
            name: form["name"], city: form["city"], address: form["address"], timeZone: form["time_zone"],
            kioskFailover: form["kiosk_failover"])
    }

    @Sendable func createVenue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let fields: VenueRepository.Fields
        do {
            fields = try VenueController.fields(venueRequest(context.web.form), current: nil, timeZones: timeZones)
        } catch let error as DomainError {
            throw WebError.page(error.status, error.formProblem, title: "Check the venue")
        }
        let venue = try await venues.create(
            organizer: organizer.id, fields: fields, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .redirect(to: "/organizer/venues/\(Self.id(venue.id))?notice=venue_saved")
    }

    @Sendable func venue(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await venuePage(try context.parameters.requireUUID("id"), notice: notice(request), context: context)
    }

    private func venuePage(
        _ id: UUID, code: (String, Date)? = nil, notice: String?, problem: String? = nil, values: [String: String]? = nil,
        status: HTTPResponse.Status = .ok, context: AppRequestContext
    ) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let place = try await venues.venue(id: id, organizer: organizer.id, logger: context.logger)
        let list = try await nodes.nodes(venue: place.id, organizer: organizer.id, logger: context.logger)
        let zone = place.timeZone
        func when(_ date: Date?) -> String { date.map { Formatting.dateTime($0, timeZone: zone) } ?? "never" }
        let values = values ?? [
            "name": place.name, "city": place.city, "address": place.address, "time_zone": zone,
            "kiosk_failover": place.kioskFailover.rawValue,
        ]
        return try pages.render(
            "organizer_venue", title: place.name,
            page: VenuePage(
                notice: notice, problem: problem, id: Self.id(place.id), name: place.name, city: place.city,
                address: place.address, timeZone: zone,
                values: values, failoverSwitch: values["kiosk_failover"] == KioskFailover.switch.rawValue,
                code: code.map { .init(code: $0.0, expires: Formatting.dateTime($0.1, timeZone: zone)) },
                nodes: list.map { node in
                    .init(
                        id: Self.id(node.id), name: node.name, status: node.status, active: node.status == "active",
                        lastSync: when([node.lastPullAt, node.lastPushAt].compactMap { $0 }.max()), lastSeen: when(node.lastSeenAt),
                        outbox: node.outboxDepth.map(String.init) ?? "unknown",
                        offset: node.clockOffsetMs.map { "\($0) ms" } ?? "unknown", skewed: node.clockSkewed,
                        protocol: node.protocolVersion.map { "v\($0)" } ?? "–")
                },
                hasNodes: !list.isEmpty),
            web: context.web, status: status)
    }

    /// A venue: its details form, a new enrollment code the one time it is shown, its nodes' health.
    struct VenuePage {
        struct Code {
            let code: String
            let expires: String
        }

        struct Node {
            let id: String
            let name: String
            let status: String
            let active: Bool
            let lastSync: String
            let lastSeen: String
            let outbox: String
            let offset: String
            let skewed: Bool
            let `protocol`: String
        }

        let notice: String?
        let problem: String?
        let id: String
        let name: String
        let city: String
        let address: String
        let timeZone: String
        let values: [String: String]
        /// The door kiosks switch to a peer by themselves (else they offer it).
        let failoverSwitch: Bool
        let code: Code?
        let nodes: [Node]
        let hasNodes: Bool
    }

    @Sendable func updateVenue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let current = try await venues.venue(id: id, organizer: organizer.id, logger: context.logger)
        let form = context.web.form
        do {
            _ = try await venues.update(
                current, fields: try VenueController.fields(venueRequest(form), current: current, timeZones: timeZones), actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            let values = Dictionary(
                ["name", "city", "address", "time_zone", "kiosk_failover"].map { ($0, form[$0] ?? "") },
                uniquingKeysWith: { first, _ in first })
            return try await venuePage(
                id, notice: nil, problem: error.formProblem, values: values, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/venues/\(Self.id(id))?notice=venue_saved")
    }

    @Sendable func deleteVenue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let place = try await venues.venue(id: id, organizer: organizer.id, logger: context.logger)
        do {
            try await venues.delete(place, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.kind == .conflict {
            return try await venuePage(id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer?notice=venue_deleted")
    }

    @Sendable func createCode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let place = try await venues.venue(id: id, organizer: organizer.id, logger: context.logger)
        var validator = Validator()
        let name = validator.text(context.web.form["name"] ?? "Door", "name", maxLength: 100) ?? "Door"
        guard validator.problems.isEmpty, !name.isEmpty else {
            throw WebError.page(.unprocessableContent, "Give the node a name of at most 100 characters.", title: "Check the name")
        }
        let code = try await nodes.createEnrollmentCode(
            venue: place.id, organizer: organizer.id, name: name, createdBy: identity.userID, lifetime: 24 * 3600,
            now: clock.now(), logger: context.logger)
        // Shown once, on this response only: never put in a URL.
        return try await venuePage(id, code: code, notice: nil, context: context)
    }

    @Sendable func revokeNode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let node = try context.parameters.requireUUID("id")
        try await nodes.revoke(node: node, organizer: organizer.id, actor: identity.userID, now: clock.now(), logger: context.logger)
        let venue = context.web.form["venue_id"].flatMap(UUID.init(uuidString:)).map(Self.id) ?? ""
        return .redirect(to: venue.isEmpty ? "/organizer" : "/organizer/venues/\(venue)?notice=node_revoked")
    }
}
