import Foundation
import Hummingbird
import SpotCore
import SpotSync
import Logging

/// `/api/v1/events`, `/api/v1/categories`, `/api/v1/ticket-types`: search and recommendations
/// for everyone; CRUD, publish and cancel for the owning organizer; ticket types on events.
struct EventController: Sendable {
    let events: EventRepository
    let search: EventSearch
    let ticketTypes: TicketTypeRepository
    let organizers: OrganizerRepository
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("categories", use: categories)
        let events = api.group("events")
        events.get("", use: searchEvents)
        events.post("", use: create)
        events.get("recommended", use: recommended)
        events.get(":id", use: show)
        events.patch(":id", use: update)
        events.delete(":id", use: delete)
        events.post(":id/publish", use: publish)
        events.post(":id/cancel", use: cancel)
        events.get(":id/ticket-types", use: listTicketTypes)
        events.post(":id/ticket-types", use: createTicketType)
        api.get("organizers/me/events", use: mine)
        api.patch("ticket-types/:id", use: updateTicketType)
        api.delete("ticket-types/:id", use: deleteTicketType)
    }

    private var access: EventAccess { EventAccess(events: events, organizers: organizers) }

    /// The event, if the caller owns it (see ``EventAccess/owned(_:by:adminMay:logger:)``).
    private func owned(
        _ id: UUID, context: AppRequestContext, adminMay: Bool = false
    ) async throws -> (Event, Organizer?, Identity) {
        let identity = try context.requireIdentity()
        let (event, organizer) = try await access.owned(id, by: identity, adminMay: adminMay, logger: context.logger)
        return (event, organizer, identity)
    }

    // MARK: Events

    struct CategoryList: ResponseEncodable {
        let items: [Category]
    }

    @Sendable func categories(_ request: Request, context: AppRequestContext) async throws -> CategoryList {
        .init(items: try await events.categories(logger: context.logger))
    }

    @Sendable func searchEvents(_ request: Request, context: AppRequestContext) async throws -> EventSearch.Page {
        let parameters = request.uri.queryParameters
        return try await search.search(
            try Self.searchQuery { parameters[Substring($0)].map(String.init) }, now: clock.now(), logger: context.logger)
    }

    /// The search a set of query parameters asks for (`q`, `category`, `city`, `from`, `to`,
    /// `free`, `min_price`, `max_price`, `sort`, `page`, `per_page`), or 422.
    static func searchQuery(_ string: (String) -> String?) throws -> EventSearch.Query {
        var validator = Validator()
        var query = EventSearch.Query()
        query.text = validator.text(string("q"), "q", required: false, maxLength: 200).flatMap { $0.isEmpty ? nil : $0 }
        query.category = string("category")
        query.city = validator.text(string("city"), "city", required: false, maxLength: 100).flatMap { $0.isEmpty ? nil : $0 }
        for (name, keyPath) in [("from", \EventSearch.Query.from), ("to", \EventSearch.Query.to)] {
            if let text = string(name) {
                let date = SyncJSON.parseDate(text)
                validator.check(date != nil, name, "must be an ISO 8601 date-time")
                query[keyPath: keyPath] = date
            }
        }
        if let free = string("free") {
            validator.check(free == "true" || free == "false", "free", "must be true or false")
            query.free = free == "true"
        }
        for (name, keyPath) in [("min_price", \EventSearch.Query.minPrice), ("max_price", \EventSearch.Query.maxPrice)] {
            query[keyPath: keyPath] = validator.integer(string(name).map { Substring($0) }, name, in: FieldLimits.priceMinor)
        }
        if let sort = string("sort") {
            validator.check(EventSearch.Sort(rawValue: sort) != nil, "sort", "must be relevance or date")
            query.sort = EventSearch.Sort(rawValue: sort) ?? .relevance
        }
        query.page = validator.integer(string("page").map { Substring($0) }, "page", in: 1...10_000, default: 1) ?? 1
        query.perPage = validator.integer(string("per_page").map { Substring($0) }, "per_page", in: 1...100, default: 20) ?? 20
        try validator.throwIfInvalid()
        return query
    }

    struct RecommendationList: ResponseEncodable {
        let items: [EventSearch.Recommendation]
    }

    @Sendable func recommended(_ request: Request, context: AppRequestContext) async throws -> RecommendationList {
        let identity = try context.requireIdentity()
        var validator = Validator()
        let limit = validator.integer(request.uri.queryParameters["limit"], "limit", in: 1...50, default: 10) ?? 10
        try validator.throwIfInvalid()
        return .init(items: try await search.recommendations(
            userID: identity.userID, limit: limit, now: clock.now(), logger: context.logger))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Event {
        try await access.visibleEvent(try context.parameters.requireUUID("id"), to: context.identity, logger: context.logger)
    }

    struct EventRequest: Decodable {
        let venueID: UUID?
        let category: String?
        let title: String?
        let description: String?
        let startsAt: Date?
        let endsAt: Date?
        let reentryPolicy: String?
    }

    /// The event fields `body` asks for over `current`, or 422 with every bad field.
    static func fields(_ body: EventRequest, current: Event?, now: Date) throws -> EventRepository.Fields {
        var validator = Validator()
        let title = validator.text(body.title ?? current?.title, "title", maxLength: 200)
        let description = validator.text(body.description ?? current?.description ?? "", "description", required: false, maxLength: 10_000)
        let category = body.category ?? current?.category
        validator.check(category != nil, "category", "is required")
        let venueID = body.venueID ?? current?.venueID
        validator.check(venueID != nil, "venue_id", "is required")
        let startsAt = body.startsAt ?? current?.startsAt
        let endsAt = body.endsAt ?? current?.endsAt
        validator.check(startsAt != nil, "starts_at", "is required")
        validator.check(endsAt != nil, "ends_at", "is required")
        if let startsAt, body.startsAt != nil {
            validator.check(startsAt > now, "starts_at", "must be in the future")
        }
        if let startsAt, let endsAt {
            validator.check(endsAt > startsAt, "ends_at", "must be after starts_at")
            validator.check(endsAt.timeIntervalSince(startsAt) <= 90 * 86_400, "ends_at", "an event lasts at most 90 days")
        }
        let reentry = body.reentryPolicy ?? current?.reentryPolicy ?? ReentryPolicy.singleEntry.rawValue
        validator.check((try? ReentryPolicy.parseKnown(reentry)) != nil, "reentry_policy",
                        "must be \(ReentryPolicy.known.map(\.rawValue).joined(separator: " or "))")
        try validator.throwIfInvalid()
        return .init(
            venueID: venueID!, category: category!, title: title!, description: description ?? "", startsAt: startsAt!,
            endsAt: endsAt!, reentryPolicy: reentry)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Event> {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSON(as: EventRequest.self, context: context)
        let event = try await events.create(
            organizer: organizer.id, fields: try Self.fields(body, current: nil, now: clock.now()), actor: identity.userID, now: clock.now(),
            logger: context.logger)
        return .init(status: .created, response: event)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Event {
        let (event, _, identity) = try await owned(try context.parameters.requireUUID("id"), context: context)
        let body = try await request.decodeJSON(as: EventRequest.self, context: context)
        return try await events.update(
            event, fields: try Self.fields(body, current: event, now: clock.now()), actor: identity.userID, now: clock.now(), logger: context.logger)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let (event, _, identity) = try await owned(try context.parameters.requireUUID("id"), context: context)
        try await events.delete(event, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .noContent
    }

    @Sendable func publish(_ request: Request, context: AppRequestContext) async throws -> Event {
        let (event, organizer, identity) = try await owned(try context.parameters.requireUUID("id"), context: context)
        return try await events.publish(
            event, verified: organizer?.verified ?? false, actor: identity.userID, now: clock.now(), logger: context.logger)
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Event {
        let (event, _, identity) = try await owned(try context.parameters.requireUUID("id"), context: context, adminMay: true)
        return try await events.cancel(event, actor: identity.userID, now: clock.now(), logger: context.logger)
    }

    struct EventList: ResponseEncodable {
        let items: [Event]
    }

    @Sendable func mine(_ request: Request, context: AppRequestContext) async throws -> EventList {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        let statusText = request.uri.queryParameters["status"].map(String.init)
        let status = statusText.flatMap(Event.Status.init(rawValue:))
        guard statusText == nil || status != nil else {
            throw DomainError.validation("status", "must be draft, published or cancelled")
        }
        return .init(items: try await events.events(organizer: organizer.id, status: status, logger: context.logger))
    }

    // MARK: Ticket types

    struct TicketTypeList: ResponseEncodable {
        let items: [TicketType]
    }

    @Sendable func listTicketTypes(_ request: Request, context: AppRequestContext) async throws -> TicketTypeList {
        let event = try await access.visibleEvent(
            try context.parameters.requireUUID("id"), to: context.identity, logger: context.logger)
        return .init(items: try await ticketTypes.ticketTypes(event: event.id, logger: context.logger))
    }

    struct TicketTypeRequest: Decodable {
        let name: String?
        let priceMinor: Int64?
        let currency: String?
        let capacity: Int?
        let salesStart: Date?
        let salesEnd: Date?
    }

    /// The ticket type fields `body` asks for over `current`, or 422 with every bad field.
    static func fields(_ body: TicketTypeRequest, current: TicketType?, event: Event) throws -> TicketTypeRepository.Fields {
        var validator = Validator()
        let name = validator.text(body.name ?? current?.name, "name", maxLength: 100)
        let price = body.priceMinor ?? current?.priceMinor
        validator.check(price != nil, "price_minor", "is required")
        validator.check(price.map { FieldLimits.priceMinor.contains($0) } ?? true, "price_minor",
                        "must be \(FieldLimits.priceMinor.lowerBound) to \(FieldLimits.priceMinor.upperBound) minor units")
        let currency = (body.currency ?? current?.currency)?.uppercased()
        validator.check(currency != nil, "currency", "is required")
        validator.check(currency.map { $0.count == 3 && $0.allSatisfy { $0.isASCII && $0.isLetter } } ?? true,
                        "currency", "must be a three-letter ISO 4217 code such as EUR")
        let capacity = body.capacity ?? current?.capacity
        validator.check(capacity != nil, "capacity", "is required")
        validator.check(capacity.map { FieldLimits.capacity.contains($0) } ?? true, "capacity",
                        "must be \(FieldLimits.capacity.lowerBound) to \(FieldLimits.capacity.upperBound)")
        let start = body.salesStart ?? current?.salesStart
        let end = body.salesEnd ?? current?.salesEnd
        if let start, let end { validator.check(end > start, "sales_end", "must be after sales_start") }
        if let end { validator.check(end <= event.endsAt, "sales_end", "must not be after the event ends") }
        try validator.throwIfInvalid()
        return .init(name: name!, priceMinor: price!, currency: currency!, capacity: capacity!, salesStart: start, salesEnd: end)
    }

    @Sendable func createTicketType(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TicketType> {
        let (event, _, identity) = try await owned(try context.parameters.requireUUID("id"), context: context)
        let body = try await request.decodeJSON(as: TicketTypeRequest.self, context: context)
        let ticketType = try await ticketTypes.create(
            event: event, fields: try Self.fields(body, current: nil, event: event), actor: identity.userID, now: clock.now(),
            logger: context.logger)
        return .init(status: .created, response: ticketType)
    }

    /// The ticket type and its event, if the caller owns the event.
    private func ownedTicketType(context: AppRequestContext) async throws -> (TicketType, Event, Identity) {
        _ = try context.requireIdentity()
        guard let ticketType = try await ticketTypes.ticketType(
            id: try context.parameters.requireUUID("id"), logger: context.logger)
        else { throw DomainError.notFound("Ticket type") }
        do {
            let (event, _, identity) = try await owned(ticketType.eventID, context: context)
            return (ticketType, event, identity)
        } catch let error as DomainError where error.kind == .notFound {
            throw DomainError.notFound("Ticket type")
        }
    }

    @Sendable func updateTicketType(_ request: Request, context: AppRequestContext) async throws -> TicketType {
        let (ticketType, event, identity) = try await ownedTicketType(context: context)
        let body = try await request.decodeJSON(as: TicketTypeRequest.self, context: context)
        return try await ticketTypes.update(
            ticketType, event: event, fields: try Self.fields(body, current: ticketType, event: event), actor: identity.userID,
            now: clock.now(), logger: context.logger)
    }

    @Sendable func deleteTicketType(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let (ticketType, event, identity) = try await ownedTicketType(context: context)
        try await ticketTypes.delete(ticketType, event: event, actor: identity.userID, now: clock.now(), logger: context.logger)
        return .noContent
    }
}

extension Event: ResponseEncodable {}
extension TicketType: ResponseEncodable {}
extension EventSearch.Page: ResponseEncodable {}
