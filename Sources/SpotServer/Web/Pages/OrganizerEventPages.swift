import Foundation
import Hummingbird
import SpotCore

/// The organizer's events: create, edit, delete a draft, publish, cancel; ticket types (add,
/// edit, delete); statistics with charts; door allotments per node; conflicts.
struct OrganizerEventPages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let events: EventRepository
    let access: EventAccess
    let ticketTypes: TicketTypeRepository
    let venues: VenueRepository
    let nodes: NodeRepository
    let conflicts: ConflictRepository
    let statistics: StatisticsController
    let rooms: WaitingRoomRepository
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer/events/new", use: newEvent)
        site.post("organizer/events", use: createEvent)
        site.get("organizer/events/:id", use: manageEvent)
        site.post("organizer/events/:id", use: updateEvent)
        site.get("organizer/events/:id/edit", use: editEvent)
        site.post("organizer/events/:id/delete", use: deleteEvent)
        site.post("organizer/events/:id/publish", use: publish)
        site.post("organizer/events/:id/cancel", use: cancel)
        site.post("organizer/events/:id/ticket-types", use: addTicketType)
        site.get("organizer/ticket-types/:id", use: editTicketType)
        site.post("organizer/ticket-types/:id", use: updateTicketType)
        site.post("organizer/ticket-types/:id/delete", use: deleteTicketType)
        site.post("organizer/nodes/:id/allotments", use: setAllotment)
        site.post("organizer/conflicts/:id/resolve", use: resolveConflict)
        site.post("organizer/events/:id/waiting-room", use: setWaitingRoom)
        site.post("organizer/events/:id/waiting-room/remove", use: removeWaitingRoom)
    }

    // MARK: Event form (new and edit)

    private static let eventFields = ["title", "category", "venue_id", "starts_at", "ends_at", "description", "reentry_policy"]

    private func eventForm(
        _ organizer: Organizer, editing event: Event?, values: [String: String], problem: String?,
        status: HTTPResponse.Status, context: AppRequestContext
    ) async throws -> Response {
        let places = try await venues.venues(organizer: organizer.id, logger: context.logger)
        let categories = try await events.categories(logger: context.logger)
        return try pages.render(
            "organizer_event_form", title: event.map { "Edit \($0.title)" } ?? "New event",
            page: EventFormPage(
                heading: event == nil ? "New event" : "Edit event", submit: event == nil ? "Create draft" : "Save changes",
                action: event.map { "/organizer/events/\(Self.id($0.id))" } ?? "/organizer/events",
                cancelURL: event.map { "/organizer/events/\(Self.id($0.id))" } ?? "/organizer",
                values: values, reentry: values["reentry_policy"] == ReentryPolicy.reentryAfterExit.rawValue,
                problem: problem, hasVenues: !places.isEmpty,
                venues: places.map {
                    .init(id: Self.id($0.id), name: "\($0.name), \($0.city)", selected: values["venue_id"] == Self.id($0.id))
                },
                categories: categories.map { .init(id: $0.id, name: $0.name, selected: values["category"] == $0.id) }),
            web: context.web, status: status)
    }

    /// The form that creates or edits an event.
    struct EventFormPage {
        /// A `<select>`'s option.
        struct Option {
            let id: String
            let name: String
            let selected: Bool
        }

        let heading: String
        let submit: String
        let action: String
        let cancelURL: String
        let values: [String: String]
        let reentry: Bool
        let problem: String?
        let hasVenues: Bool
        let venues: [Option]
        let categories: [Option]
    }

    /// The submitted event form as an API request; times are the venue's local time. On an edit,
    /// a start left as it was is not re-checked against now (a running event stays editable).
    private func eventRequest(
        _ values: [String: String], organizer: Organizer, current: Event?, context: AppRequestContext
    ) async throws -> EventController.EventRequest {
        guard let venueID = UUID(uuidString: values["venue_id"] ?? "") else {
            throw DomainError.validation("venue_id", "must be one of your venues")
        }
        let zone = try await venues.venue(id: venueID, organizer: organizer.id, logger: context.logger).timeZone
        func moment(_ field: String) throws -> Date {
            guard let date = Formatting.parseLocalInput(values[field] ?? "", timeZone: zone) else {
                throw DomainError.validation(field, "must be a date and time")
            }
            return date
        }
        let startsAt = try moment("starts_at")
        let unchangedStart = current.map { Formatting.localInput($0.startsAt, timeZone: zone) == values["starts_at"] } ?? false
        return .init(
            venueID: venueID, category: values["category"].flatMap { $0.isEmpty ? nil : $0 }, title: values["title"],
            description: values["description"], startsAt: unchangedStart ? nil : startsAt, endsAt: try moment("ends_at"),
            reentryPolicy: (values["reentry_policy"] == ReentryPolicy.reentryAfterExit.rawValue
                ? ReentryPolicy.reentryAfterExit : .singleEntry).rawValue)
    }

    private func submitted(_ context: AppRequestContext) -> [String: String] {
        Dictionary(Self.eventFields.map { ($0, context.web.form[$0] ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    @Sendable func newEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        return try await eventForm(organizer, editing: nil, values: [:], problem: nil, status: .ok, context: context)
    }

    @Sendable func createEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let values = submitted(context)
        do {
            let body = try await eventRequest(values, organizer: organizer, current: nil, context: context)
            let now = clock.now()
            let event = try await events.create(
                organizer: organizer.id, fields: try EventController.fields(body, current: nil, now: now), actor: identity.userID,
                now: now, logger: context.logger)
            return .redirect(to: "/organizer/events/\(Self.id(event.id))?notice=event_created")
        } catch let error as DomainError where error.isFormProblem || error.kind == .notFound {
            return try await eventForm(
                organizer, editing: nil, values: values, problem: error.formProblem, status: .unprocessableContent,
                context: context)
        }
    }

    @Sendable func editEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let (event, _) = try await access.owned(try context.parameters.requireUUID("id"), by: identity, logger: context.logger)
        let zone = event.venue.timeZone
        let values = [
            "title": event.title, "category": event.category, "venue_id": Self.id(event.venueID),
            "starts_at": Formatting.localInput(event.startsAt, timeZone: zone),
            "ends_at": Formatting.localInput(event.endsAt, timeZone: zone), "description": event.description,
            "reentry_policy": event.reentryPolicy,
        ]
        return try await eventForm(organizer, editing: event, values: values, problem: nil, status: .ok, context: context)
    }

    @Sendable func updateEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, identity) = try await organizer(context)
        let (event, _) = try await access.owned(try context.parameters.requireUUID("id"), by: identity, logger: context.logger)
        let values = submitted(context)
        do {
            let body = try await eventRequest(values, organizer: organizer, current: event, context: context)
            let now = clock.now()
            _ = try await events.update(
                event, fields: try EventController.fields(body, current: event, now: now), actor: identity.userID, now: now,
                logger: context.logger)
            return .redirect(to: "/organizer/events/\(Self.id(event.id))?notice=event_saved")
        } catch let error as DomainError where error.isFormProblem || error.kind == .notFound {
            return try await eventForm(
                organizer, editing: event, values: values, problem: error.formProblem, status: .unprocessableContent,
                context: context)
        }
    }

    @Sendable func deleteEvent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        do {
            try await events.delete(event, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.kind == .conflict {
            return try await managePage(id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer?notice=event_deleted")
    }

    // MARK: Manage an event

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
        let room = try await rooms.room(event: event.id, logger: context.logger)
        let sold = report.byTicketType.filter { $0.eventID == event.id }
        let chart = BarChart(
            bars: sold.map { ($0.name, Double($0.sold - $0.refunded), Double($0.capacity)) }, unit: "tickets sold of capacity")
        let hours = BarChart(
            bars: report.checkIns.byHour.map { ($0.hour.replacingOccurrences(of: "T", with: " "), Double($0.admitted), nil) },
            unit: "admissions per hour")
        return try pages.render(
            "organizer_event", title: event.title,
            page: ManagePage(
                notice: notice, problem: problem, event: EventCardView(event),
                canPublish: event.status == .draft, canCancel: event.status != .cancelled,
                canDelete: event.status == .draft, canEdit: event.status != .cancelled,
                ticketTypes: types.map { type in
                    let stats = sold.first { $0.ticketTypeID == type.id }
                    return .init(
                        id: Self.id(type.id), name: type.name, price: Formatting.money(type.priceMinor, type.currency),
                        capacity: type.capacity, sold: (stats?.sold ?? 0) - (stats?.refunded ?? 0),
                        revenue: Formatting.amount((stats?.revenueMinor ?? 0) - (stats?.refundedMinor ?? 0), type.currency)
                            + " \(type.currency)")
                },
                hasTicketTypes: !types.isEmpty, salesChart: chart, hoursChart: hours,
                downloads: OrganizerRecordsPages.downloads(.event(event.id)),
                hasCheckIns: !report.checkIns.byHour.isEmpty,
                gates: report.checkIns.byGate.map { .init(gate: $0.gate, admitted: $0.admitted, refused: $0.refused) },
                doorSales: report.doorSales.sales, doorTickets: report.doorSales.tickets,
                doorAmount: Formatting.amount(report.doorSales.amountMinor, types.first?.currency ?? "EUR"),
                nodes: venueNodes.filter { $0.status == "active" }.map { node in
                    .init(
                        id: Self.id(node.id), name: node.name,
                        allotments: types.map { type in
                            let allotment = node.allotments.first { $0.ticketTypeID == type.id }
                            return .init(
                                ticketTypeID: Self.id(type.id), name: type.name, granted: allotment?.granted ?? 0,
                                sold: allotment?.sold ?? 0)
                        })
                },
                hasNodes: venueNodes.contains { $0.status == "active" }, venueID: Self.id(event.venueID),
                conflicts: entries.map { entry in
                    .init(
                        id: Self.id(entry.conflict.id), kind: entry.conflict.kind.rawValue.replacingOccurrences(of: "_", with: " "),
                        message: entry.conflict.message, when: Formatting.dateTime(entry.conflict.createdAt, timeZone: zone),
                        resolved: entry.resolvedAt != nil, note: entry.resolutionNote,
                        resolvedAt: entry.resolvedAt.map { Formatting.dateTime($0, timeZone: zone) })
                },
                hasConflicts: !entries.isEmpty, openConflicts: entries.filter { $0.resolvedAt == nil }.count,
                waitingRoom: .init(
                    exists: room != nil, waiting: room?.waiting ?? 0, admitted: room?.admitted ?? 0, zone: zone,
                    opensAt: Formatting.localInput(room?.opensAt ?? clock.now(), timeZone: zone),
                    admitPerMinute: room?.admitPerMinute ?? 100, passMinutes: room?.passMinutes ?? 10,
                    minRate: FieldLimits.admitPerMinute.lowerBound, maxRate: FieldLimits.admitPerMinute.upperBound,
                    minPass: FieldLimits.passMinutes.lowerBound, maxPass: FieldLimits.passMinutes.upperBound)),
            web: context.web, status: status)
    }

    /// An event's page for its organizer: ticket types, sales and check-ins, downloads, door
    /// allotments, conflicts, the waiting room.
    struct ManagePage {
        struct TicketType {
            let id: String
            let name: String
            let price: String
            let capacity: Int
            let sold: Int
            let revenue: String
        }

        struct Gate {
            let gate: String
            let admitted: Int
            let refused: Int
        }

        struct Node {
            struct Allotment {
                let ticketTypeID: String
                let name: String
                let granted: Int
                let sold: Int
            }

            let id: String
            let name: String
            let allotments: [Allotment]
        }

        struct Conflict {
            let id: String
            let kind: String
            let message: String
            let when: String
            let resolved: Bool
            let note: String?
            let resolvedAt: String?
        }

        struct WaitingRoom {
            let exists: Bool
            let waiting: Int
            let admitted: Int
            let zone: String
            let opensAt: String
            let admitPerMinute: Int
            let passMinutes: Int
            let minRate: Int
            let maxRate: Int
            let minPass: Int
            let maxPass: Int
        }

        let notice: String?
        let problem: String?
        let event: EventCardView
        let canPublish: Bool
        let canCancel: Bool
        let canDelete: Bool
        let canEdit: Bool
        let ticketTypes: [TicketType]
        let hasTicketTypes: Bool
        let salesChart: BarChart
        let hoursChart: BarChart
        let downloads: [OrganizerRecordsPages.Download]
        let hasCheckIns: Bool
        let gates: [Gate]
        let doorSales: Int
        let doorTickets: Int
        let doorAmount: String
        let nodes: [Node]
        let hasNodes: Bool
        let venueID: String
        let conflicts: [Conflict]
        let hasConflicts: Bool
        let openConflicts: Int
        let waitingRoom: WaitingRoom
    }

    @Sendable func publish(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, organizer) = try await access.owned(id, by: identity, logger: context.logger)
        do {
            _ = try await events.publish(
                event, verified: organizer?.verified ?? false, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where [.conflict, .forbidden, .invalid].contains(error.kind) {
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
        } catch let error as DomainError where error.kind == .conflict {
            return try await managePage(id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=event_cancelled")
    }

    // MARK: Waiting room

    @Sendable func setWaitingRoom(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        let form = context.web.form
        do {
            var problems: [String: String] = [:]
            let opensAt = Formatting.parseLocalInput(form["opens_at"] ?? "", timeZone: event.venue.timeZone)
            if opensAt == nil { problems["opens_at"] = "must be a date and time" }
            let rate = Int(form["admit_per_minute"] ?? "").flatMap { FieldLimits.admitPerMinute.contains($0) ? $0 : nil }
            if rate == nil {
                problems["admit_per_minute"] =
                    "must be a whole number from \(FieldLimits.admitPerMinute.lowerBound) to \(FieldLimits.admitPerMinute.upperBound)"
            }
            let minutes = Int(form["pass_minutes"] ?? "").flatMap { FieldLimits.passMinutes.contains($0) ? $0 : nil }
            if minutes == nil {
                problems["pass_minutes"] =
                    "must be a whole number from \(FieldLimits.passMinutes.lowerBound) to \(FieldLimits.passMinutes.upperBound)"
            }
            guard let opensAt, let rate, let minutes else { throw DomainError.validation(problems) }
            _ = try await rooms.configure(
                event: event.id, .init(opensAt: opensAt, admitPerMinute: rate, passMinutes: minutes), now: clock.now(),
                logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            return try await managePage(id, notice: nil, problem: error.formProblem, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=waiting_room_saved")
    }

    @Sendable func removeWaitingRoom(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        _ = try await rooms.remove(event: event.id, logger: context.logger)
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=waiting_room_removed")
    }

    // MARK: Ticket types

    /// The submitted ticket-type form as repository fields: every field is on the form, so an
    /// empty sales window clears it.
    private func ticketTypeFields(_ form: FormData, event: Event) throws -> TicketTypeRepository.Fields {
        let currency = (form["currency"] ?? "EUR").uppercased()
        let zone = event.venue.timeZone
        func moment(_ field: String) throws -> Date? {
            let text = (form[field] ?? "").trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            guard let date = Formatting.parseLocalInput(text, timeZone: zone) else {
                throw DomainError.validation(field, "must be a date and time")
            }
            return date
        }
        guard let price = Formatting.minorUnits(form["price"] ?? "", currency) else {
            throw DomainError.validation("price", "must be an amount such as 25.00")
        }
        let body = EventController.TicketTypeRequest(
            name: form["name"], priceMinor: price, currency: currency, capacity: Int(form["capacity"] ?? ""),
            salesStart: try moment("sales_start"), salesEnd: try moment("sales_end"))
        return try EventController.fields(body, current: nil, event: event)
    }

    @Sendable func addTicketType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let (event, _) = try await access.owned(id, by: identity, logger: context.logger)
        do {
            _ = try await ticketTypes.create(
                event: event, fields: try ticketTypeFields(context.web.form, event: event), actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            return try await managePage(id, notice: nil, problem: error.formProblem, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(id))?notice=ticket_type_saved")
    }

    /// The ticket type and its event, if the caller owns the event (404 otherwise, as in the API).
    private func ownedTicketType(_ context: AppRequestContext) async throws -> (TicketType, Event, Identity) {
        let (_, identity) = try await organizer(context)
        guard let ticketType = try await ticketTypes.ticketType(id: try context.parameters.requireUUID("id"), logger: context.logger)
        else { throw WebError.notFound("This ticket type") }
        let event = try await ownedEvent(
            ticketType.eventID, by: identity, access: access, what: "This ticket type", logger: context.logger)
        return (ticketType, event, identity)
    }

    private func ticketTypeForm(
        _ ticketType: TicketType, event: Event, values: [String: String], problem: String?, status: HTTPResponse.Status,
        context: AppRequestContext
    ) throws -> Response {
        try pages.render(
            "organizer_ticket_type", title: "Edit \(ticketType.name)",
            page: TicketTypePage(
                id: Self.id(ticketType.id), eventID: Self.id(event.id), eventTitle: event.title, values: values,
                problem: problem, canDelete: event.status == .draft, timeZone: event.venue.timeZone),
            web: context.web, status: status)
    }

    /// The form that edits a ticket type.
    struct TicketTypePage {
        let id: String
        let eventID: String
        let eventTitle: String
        let values: [String: String]
        let problem: String?
        let canDelete: Bool
        let timeZone: String
    }

    @Sendable func editTicketType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (ticketType, event, _) = try await ownedTicketType(context)
        let zone = event.venue.timeZone
        let values = [
            "name": ticketType.name, "price": Formatting.amount(ticketType.priceMinor, ticketType.currency),
            "currency": ticketType.currency, "capacity": String(ticketType.capacity),
            "sales_start": ticketType.salesStart.map { Formatting.localInput($0, timeZone: zone) } ?? "",
            "sales_end": ticketType.salesEnd.map { Formatting.localInput($0, timeZone: zone) } ?? "",
        ]
        return try ticketTypeForm(ticketType, event: event, values: values, problem: nil, status: .ok, context: context)
    }

    @Sendable func updateTicketType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (ticketType, event, identity) = try await ownedTicketType(context)
        let form = context.web.form
        do {
            _ = try await ticketTypes.update(
                ticketType, event: event, fields: try ticketTypeFields(form, event: event), actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            let values = Dictionary(
                ["name", "price", "currency", "capacity", "sales_start", "sales_end"].map { ($0, form[$0] ?? "") },
                uniquingKeysWith: { first, _ in first })
            return try ticketTypeForm(
                ticketType, event: event, values: values, problem: error.formProblem, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(event.id))?notice=ticket_type_saved")
    }

    @Sendable func deleteTicketType(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (ticketType, event, identity) = try await ownedTicketType(context)
        do {
            try await ticketTypes.delete(ticketType, event: event, actor: identity.userID, now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.kind == .conflict {
            return try await managePage(event.id, notice: nil, problem: error.message, status: error.status, context: context)
        }
        return .redirect(to: "/organizer/events/\(Self.id(event.id))?notice=ticket_type_deleted")
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
            guard let granted = Int(form["granted"] ?? ""), FieldLimits.allotmentSeats.contains(granted) else {
                throw DomainError.validation("seats", "must be a whole number from 0 to \(FieldLimits.allotmentSeats.upperBound)")
            }
            _ = try await nodes.setAllotment(
                node: node, ticketType: ticketType, granted: granted, organizer: organizer.id, actor: identity.userID,
                now: clock.now(), logger: context.logger)
        } catch let error as DomainError where error.isFormProblem {
            return try await managePage(event, notice: nil, problem: error.formProblem, status: error.status, context: context)
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
}
