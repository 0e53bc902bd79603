import Foundation
import Hummingbird
import SpotSync

/// The organizer's side: events (create, publish, cancel), ticket types, statistics with
/// charts, door allotments, door sales and conflicts, venues and their nodes; and the admin's
/// organizer verification.
struct OrganizerPages: Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let events: EventRepository
    let access: EventAccess
    let ticketTypes: TicketTypeRepository
    let venues: VenueRepository
    let nodes: NodeRepository
    let conflicts: ConflictRepository
    let statistics: StatisticsController
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer", use: dashboard)
        site.get("organizer/events/new", use: newEvent)
        site.post("organizer/events", use: createEvent)
        site.get("organizer/events/:id", use: manageEvent)
        site.post("organizer/events/:id/publish", use: publish)
        site.post("organizer/events/:id/cancel", use: cancel)
        site.post("organizer/events/:id/ticket-types", use: addTicketType)
        site.post("organizer/nodes/:id/allotments", use: setAllotment)
        site.post("organizer/conflicts/:id/resolve", use: resolveConflict)
        site.post("organizer/venues", use: createVenue)
        site.get("organizer/venues/:id", use: venue)
        site.post("organizer/venues/:id/enrollment-codes", use: createCode)
        site.post("organizer/nodes/:id/revoke", use: revokeNode)
        site.get("admin", use: admin)
        site.post("admin/organizers/:id/verify", use: verify)
    }

    private func organizer(_ context: AppRequestContext) async throws -> (Organizer, Identity) {
        let identity = try context.requireIdentity()
        return (try await organizers.requireOwnProfile(identity, logger: context.logger), identity)
    }

    private func notice(_ request: Request) -> String? {
        Notice.message(request.uri.queryParameters["notice"].map(String.init))
    }

    private static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// A 422's fields as one sentence for the top of a form.
    private static func problem(_ error: APIError) -> String {
        guard let fields = error.fields, !fields.isEmpty else { return error.message }
        return "Please correct: " + fields.sorted { $0.key < $1.key }.map { "\($0.key.replacingOccurrences(of: "_", with: " ")) \($0.value)" }
            .joined(separator: "; ") + "."
    }

    // MARK: Dashboard

    @Sendable func dashboard(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let mine = try await events.events(organizer: organizer.id, status: nil, logger: context.logger)
        let places = try await venues.venues(organizer: organizer.id, logger: context.logger)
        return try pages.render(
            "organizer", title: "Organizer",
            page: [
                "notice": notice(request) as Any, "name": organizer.name, "verified": organizer.verified,
                "events": mine.map { EventCardView($0) }, "hasEvents": !mine.isEmpty,
                "venues": places.map { ["id": Self.id($0.id), "name": $0.name, "city": $0.city, "timeZone": $0.timeZone] },
                "hasVenues": !places.isEmpty,
            ] as [String: Any], web: context.web)
    }

    // MARK: Events

    @Sendable func newEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        return try await eventForm(organizer, values: [:], problem: nil, status: .ok, context: context)
    }

    private func eventForm(
        _ organizer: Organizer, values: [String: String], problem: String?, status: HTTPResponse.Status,
        context: AppRequestContext
    ) async throws -> Response {
        let places = try await venues.venues(organizer: organizer.id, logger: context.logger)
        let categories = try await events.categories(logger: context.logger)
        return try pages.render(
            "organizer_event_new", title: "New event",
            page: [
                "values": values, "problem": problem as Any, "hasVenues": !places.isEmpty,
                "venues": places.map {
                    ["id": Self.id($0.id), "name": "\($0.name), \($0.city)", "selected": values["venue_id"] == Self.id($0.id)]
                        as [String: Any]
                },
                "categories": categories.map {
                    ["id": $0.id, "name": $0.name, "selected": values["category"] == $0.id] as [String: Any]
                },
            ] as [String: Any], web: context.web, status: status)
    }

    @Sendable func createEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let form = context.web.form
        let values = Dictionary(
            ["title", "category", "venue_id", "starts_at", "ends_at", "description", "reentry_policy"].map { ($0, form[$0] ?? "") },
            uniquingKeysWith: { first, _ in first })
        do {
            let venueID = UUID(uuidString: values["venue_id"] ?? "")
            var zone: String?
            if let venueID { zone = try await venues.venue(id: venueID, organizer: organizer.id, logger: context.logger).timeZone }
            let startsAt = zone.flatMap { Formatting.parseLocalInput(values["starts_at"] ?? "", timeZone: $0) }
            let endsAt = zone.flatMap { Formatting.parseLocalInput(values["ends_at"] ?? "", timeZone: $0) }
            let body = EventController.EventRequest(
                venueID: venueID, category: values["category"].flatMap { $0.isEmpty ? nil : $0 }, title: values["title"],
                description: values["description"], startsAt: startsAt, endsAt: endsAt,
                reentryPolicy: values["reentry_policy"] == "reentry_after_exit" ? "reentry_after_exit" : "single_entry")
            let now = clock.now()
            let event = try await events.create(
                organizer: organizer.id, fields: try EventController.fields(body, current: nil, now: now), actor: identity.userID,
                now: now, logger: context.logger)
            return .redirect(to: "/organizer/events/\(Self.id(event.id))?notice=event_created")
        } catch let error as APIError where [.unprocessableContent, .notFound, .conflict].contains(error.status) {
            return try await eventForm(
                organizer, values: values, problem: Self.problem(error), status: .unprocessableContent, context: context)
        }
    }

    @Sendable func manageEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await managePage(try context.parameters.requireUUID("id"), notice: notice(request), problem: nil, context: context)
    }

    private func managePage(
        _ id: UUID, notice: String?, problem: String?, status: HTTPResponse.Status = .ok, context: AppRequestContext
    ) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        let types = try await ticketTypes.ticketTypes(event: event.id, logger: context.logger)
        let report = try await statistics.report(organizer: organizer.id, event: event.id, timeZone: nil, logger: context.logger)
        let venueNodes = try await nodes.nodes(venue: event.venueID, organizer: organizer.id, logger: context.logger)
        let entries = try await conflicts.conflicts(event: event.id, organizer: organizer.id, logger: context.logger)
        let zone = event.venue.timeZone
        let sold = report.byTicketType.filter { $0.eventID == event.id }
        let chart = BarChart(
            bars: sold.map { ($0.name, Double($0.sold - $0.refunded), Double($0.capacity)) }, unit: "tickets sold of capacity")
        let hours = BarChart(
            bars: report.checkIns.byHour.map { ($0.hour, Double($0.admitted), nil) }, unit: "admissions per hour")
        return try pages.render(
            "organizer_event", title: event.title,
            page: [
                "notice": notice as Any, "problem": problem as Any, "event": EventCardView(event),
                "canPublish": event.status == .draft, "canCancel": event.status != .cancelled,
                "ticketTypes": types.map { type in
                    let stats = sold.first { $0.ticketTypeID == type.id }
                    return [
                        "name": type.name, "price": Formatting.money(type.priceMinor, type.currency), "capacity": type.capacity,
                        "sold": (stats?.sold ?? 0) - (stats?.refunded ?? 0),
                        "revenue": Formatting.money((stats?.revenueMinor ?? 0) - (stats?.refundedMinor ?? 0), type.currency),
                    ] as [String: Any]
                },
                "hasTicketTypes": !types.isEmpty, "salesChart": chart.view, "hoursChart": hours.view,
                "hasCheckIns": !report.checkIns.byHour.isEmpty,
                "gates": report.checkIns.byGate.map { ["gate": $0.gate, "admitted": $0.admitted, "refused": $0.refused] },
                "doorSales": report.doorSales.sales, "doorTickets": report.doorSales.tickets,
                "doorAmount": Formatting.amount(report.doorSales.amountMinor, types.first?.currency ?? "EUR"),
                "nodes": venueNodes.filter { $0.status == "active" }.map { node in
                    [
                        "id": Self.id(node.id), "name": node.name,
                        "allotments": types.map { type in
                            let allotment = node.allotments.first { $0.ticketTypeID == type.id }
                            return [
                                "ticketTypeID": Self.id(type.id), "name": type.name, "granted": allotment?.granted ?? 0,
                                "sold": allotment?.sold ?? 0,
                            ] as [String: Any]
                        },
                    ] as [String: Any]
                },
                "hasNodes": venueNodes.contains { $0.status == "active" }, "venueID": Self.id(event.venueID),
                "conflicts": entries.map { entry in
                    [
                        "id": Self.id(entry.conflict.id), "kind": entry.conflict.kind.replacingOccurrences(of: "_", with: " "),
                        "message": entry.conflict.message, "when": Formatting.dateTime(entry.conflict.createdAt, timeZone: zone),
                        "resolved": entry.resolvedAt != nil, "note": entry.resolutionNote as Any,
                        "resolvedAt": entry.resolvedAt.map { Formatting.dateTime($0, timeZone: zone) } as Any,
                    ] as [String: Any]
                },
                "hasConflicts": !entries.isEmpty, "openConflicts": entries.filter { $0.resolvedAt == nil }.count,
                "startsInput": Formatting.localInput(event.startsAt, timeZone: zone),
            ] as [String: Any], web: context.web, status: status)
    }

    @Sendable func publish(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, organizer) = try await access.owned(id, by: identity, logger: context.logger)
        do {
            _ = try await events.publish(
                event, verified: organizer?.verified ?? false, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as APIError where [.conflict, .forbidden, .unprocessableContent].contains(error.status) {
            return try await managePage(id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=event_published")
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        do {
            _ = try await events.cancel(event, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as APIError where error.status == .conflict {
            return try await managePage(id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=event_cancelled")
    }

    @Sendable func addTicketType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        let form = context.web.form
        let currency = (form["currency"] ?? "EUR").uppercased()
        do {
            guard let price = Formatting.minorUnits(form["price"] ?? "", currency) else {
                throw APIError.validation("price", "must be an amount such as 25.00")
            }
            let body = EventController.TicketTypeRequest(
                name: form["name"], priceMinor: price, currency: currency, capacity: Int(form["capacity"] ?? ""),
                salesStart: nil, salesEnd: nil)
            _ = try await ticketTypes.create(
                event: event, fields: try EventController.fields(body, current: nil, event: event), actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as APIError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await managePage(id, notice: nil, problem: Self.problem(error), status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=ticket_type_saved")
    }

    // MARK: Door: allotments and conflicts

    @Sendable func setAllotment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let node = try context.parameters.requireUUID("id")
        let form = context.web.form
        guard let ticketType = form["ticket_type_id"].flatMap(UUID.init(uuidString:)),
            let event = form["event_id"].flatMap(UUID.init(uuidString:))
        else { throw WebError.page(.badRequest, "Choose a ticket type.") }
        do {
            guard let granted = Int(form["granted"] ?? ""), (0...1_000_000).contains(granted) else {
                throw APIError.validation("seats", "must be a whole number from 0 to 1000000")
            }
            _ = try await nodes.setAllotment(
                node: node, ticketType: ticketType, granted: granted, organizer: organizer.id, actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as APIError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await managePage(event, notice: nil, problem: Self.problem(error), status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(event))?notice=allotment_saved")
    }

    @Sendable func resolveConflict(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let form = context.web.form
        try await conflicts.resolve(
            try context.parameters.requireUUID("id"), organizer: organizer.id, actor: identity.userID, note: form["note"],
            now: clock.now(), logger: context.logger)
        let event = form["event_id"].flatMap(UUID.init(uuidString:)).map(Self.id) ?? ""
        return .redirect(to: event.isEmpty ? "/organizer" : "/organizer/events/\(event)?notice=conflict_resolved")
    }

    // MARK: Venues and nodes

    @Sendable func createVenue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let form = context.web.form
        let fields: VenueRepository.Fields
        do {
            fields = try VenueController.fields(
                .init(name: form["name"], city: form["city"], address: form["address"], timeZone: form["time_zone"]),
                current: nil)
        } catch let error as APIError {
            throw WebError.page(error.status, Self.problem(error), title: "Check the venue")
        }
        let venue = try await venues.create(
            organizer: organizer.id, fields: fields, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .redirect(to: "/organizer/venues/\(Self.id(venue.id))?notice=venue_saved")
    }

    @Sendable func venue(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await venuePage(try context.parameters.requireUUID("id"), code: nil, notice: notice(request), context: context)
    }

    private func venuePage(
        _ id: UUID, code: (String, Date)?, notice: String?, context: AppRequestContext
    ) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        let place = try await venues.venue(id: id, organizer: organizer.id, logger: context.logger)
        let list = try await nodes.nodes(venue: place.id, organizer: organizer.id, logger: context.logger)
        let zone = place.timeZone
        func when(_ date: Date?) -> String { date.map { Formatting.dateTime($0, timeZone: zone) } ?? "never" }
        return try pages.render(
            "organizer_venue", title: place.name,
            page: [
                "notice": notice as Any, "id": Self.id(place.id), "name": place.name, "city": place.city,
                "address": place.address, "timeZone": zone,
                "code": code.map { ["code": $0.0, "expires": Formatting.dateTime($0.1, timeZone: zone)] } as Any,
                "nodes": list.map { node in
                    [
                        "id": Self.id(node.id), "name": node.name, "status": node.status, "active": node.status == "active",
                        "lastSync": when([node.lastPullAt, node.lastPushAt].compactMap { $0 }.max()),
                        "lastSeen": when(node.lastSeenAt),
                        "outbox": node.outboxDepth.map(String.init) ?? "unknown",
                        "offset": node.clockOffsetMs.map { "\($0) ms" } ?? "unknown", "skewed": node.clockSkewed,
                        "protocol": node.protocolVersion.map { "v\($0)" } ?? "–",
                    ] as [String: Any]
                },
                "hasNodes": !list.isEmpty,
            ] as [String: Any], web: context.web)
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

    // MARK: Admin

    @Sendable func admin(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(.admin, to: "verify organizers")
        let list = try await organizers.list(verified: nil, logger: context.logger)
        return try pages.render(
            "admin", title: "Organizers",
            page: [
                "notice": notice(request) as Any,
                "organizers": list.map {
                    ["id": Self.id($0.id), "name": $0.name, "verified": $0.verified, "since": Formatting.dateTime($0.createdAt)]
                        as [String: Any]
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
