import Foundation
import Hummingbird
import SpotCore
import SpotSync

/// The public side of the site: home, search, event pages, and taking a hold.
struct EventPages: Sendable {
    let pages: PageRenderer
    let events: EventRepository
    let access: EventAccess
    let search: EventSearch
    let ticketTypes: TicketTypeRepository
    let bookings: BookingRepository
    let rooms: WaitingRoomRepository
    let gate: WaitingRoomGate
    let holdDuration: TimeInterval
    let clock: ServerClock

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("", use: home)
        site.get("search", use: searchPage)
        site.get("events/:id", use: event)
        site.post("events/:id/book", use: book)
    }

    // MARK: Home

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        let now = clock.now()
        var upcoming = EventSearch.Query()
        upcoming.sort = .date
        upcoming.perPage = 12
        let page = try await search.search(upcoming, now: now, logger: context.logger)
        let recommended: [EventCardView]
        if let user = context.web.user {
            recommended = try await search.recommendations(userID: user.id, limit: 4, now: now, logger: context.logger)
                .map { EventCardView($0.event, reason: $0.reason) }
        } else {
            recommended = []
        }
        let categories = try await events.categories(logger: context.logger)
        return try pages.render(
            "home", title: "Upcoming events",
            page: HomePage(
                notice: Notice.message(request.uri.queryParameters["notice"].map(String.init)),
                upcoming: page.items.map { EventCardView($0) }, hasUpcoming: !page.items.isEmpty,
                recommended: recommended, hasRecommended: !recommended.isEmpty,
                categories: categories.map { .init(id: $0.id, name: $0.name, selected: false) }),
            web: context.web)
    }

    /// A category of the search form's `<select>`.
    struct Category {
        let id: String
        let name: String
        let selected: Bool
    }

    /// The start page: upcoming events, recommendations, categories.
    struct HomePage {
        let notice: String?
        let upcoming: [EventCardView]
        let hasUpcoming: Bool
        let recommended: [EventCardView]
        let hasRecommended: Bool
        let categories: [Category]
    }

    /// The search form as sent, and a page of results (or what was wrong with the filters).
    struct SearchPage {
        let form: SearchForm
        let categories: [Category]
        let sortDate: Bool
        var results: [EventCardView] = []
        var hasResults = false
        var countText: String?
        var pageNumber: Int?
        var pageCount: Int?
        var previous: String?
        var next: String?
        var problem: String?
    }

    // MARK: Search

    struct SearchForm {
        var q = "", category = "", city = "", from = "", to = "", free = false, sort = "relevance"
    }

    @Sendable func searchPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        // A GET form sends spaces as `+`: read the query as a form, not as URI parameters.
        let parameters = try WebError.refusingBadText { () throws(InputText.Problem) in
            try FormData(urlEncoded: request.uri.query ?? "")
        }
        func value(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
        var form = SearchForm()
        form.q = value("q") ?? ""
        form.category = value("category") ?? ""
        form.city = value("city") ?? ""
        form.from = value("from") ?? ""
        form.to = value("to") ?? ""
        form.free = value("free") == "true"
        form.sort = value("sort") ?? "relevance"
        let categories = try await events.categories(logger: context.logger)

        var data = SearchPage(
            form: form, categories: categories.map { .init(id: $0.id, name: $0.name, selected: $0.id == form.category) },
            sortDate: form.sort == "date")
        do {
            // The form's dates are days (`2026-12-01`); the search takes instants.
            let query = try EventController.searchQuery { name in
                switch name {
                case "from", "to":
                    return value(name).map { $0.count == 10 ? $0 + "T00:00:00Z" : $0 }
                case "free":
                    return form.free ? "true" : nil
                case "per_page":
                    return "10"
                default:
                    return value(name)
                }
            }
            let result = try await search.search(query, now: clock.now(), logger: context.logger)
            let pageCount = max(1, (result.total + result.perPage - 1) / result.perPage)
            func link(_ page: Int) -> String {
                var items = [URLQueryItem]()
                for name in ["q", "category", "city", "from", "to", "sort"] {
                    if let text = value(name) { items.append(.init(name: name, value: text)) }
                }
                if form.free { items.append(.init(name: "free", value: "true")) }
                items.append(.init(name: "page", value: String(page)))
                var components = URLComponents()
                components.queryItems = items
                return "/search" + (components.string ?? "")
            }
            data.results = result.items.map { EventCardView($0) }
            data.hasResults = !result.items.isEmpty
            data.countText = "\(result.total) event\(result.total == 1 ? "" : "s") found"
            data.pageNumber = result.page
            data.pageCount = pageCount
            data.previous = result.page > 1 ? link(result.page - 1) : nil
            data.next = result.page < pageCount ? link(result.page + 1) : nil
        } catch let error as DomainError where error.kind == .invalid {
            let problems = (error.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            data.problem = "Check the filters: " + problems.joined(separator: "; ") + "."
            return try pages.render("search", title: "Search", page: data, web: context.web, status: .unprocessableContent)
        }
        return try pages.render("search", title: form.q.isEmpty ? "Search" : "Search: \(form.q)", page: data, web: context.web)
    }

    // MARK: Event page

    @Sendable func event(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await eventPage(
            try context.parameters.requireUUID("id"), pass: WaitingRoomPages.pass(request, event: try context.parameters.requireUUID("id")),
            context: context, problem: nil, status: .ok)
    }

    private func eventPage(
        _ id: UUID, pass: String?, context: AppRequestContext, problem: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let event = try await access.visibleEvent(id, to: context.identity, logger: context.logger)
        let types = try await ticketTypes.ticketTypes(event: event.id, logger: context.logger)
        let availability = try await ticketTypes.availability(event: event.id, logger: context.logger)
        let now = clock.now()
        let opensAt = try await rooms.opening(event: event.id, logger: context.logger)
        let passAdmits = context.web.user.map { user in
            gate.admits(pass, event: event.id, user: user.id, now: now)
        } ?? false
        let onSale = event.status == .published && event.endsAt > now
        let rows: [EventPage.TicketType] = types.map { type in
            let left = availability[type.id] ?? .init(available: 0, maxPerOrder: 0)
            var state: String?
            if let start = type.salesStart, start > now {
                state = "Sales start \(Formatting.dateTime(start, timeZone: event.venue.timeZone))"
            } else if let end = type.salesEnd, end <= now {
                state = "Sales have ended"
            } else if left.available == 0 {
                state = "Sold out"
            }
            let most = min(left.available, left.maxPerOrder, BookingRepository.maximumTicketsPerBooking)
            return .init(
                id: type.id.lowercasedText, name: type.name, price: Formatting.money(type.priceMinor, type.currency),
                available: left.available, state: state, buyable: onSale && state == nil && most > 0,
                quantities: (0...max(0, most)).map { .init(value: $0) })
        }
        let description = event.description.split(separator: "\n", omittingEmptySubsequences: true)
            .map { EventPage.Paragraph(text: String($0)) }
        return try pages.render(
            "event", title: event.title,
            page: EventPage(
                event: EventCardView(event), description: description,
                ends: Formatting.dateTime(event.endsAt, timeZone: event.venue.timeZone),
                reentry: event.reentryPolicy == ReentryPolicy.reentryAfterExit.rawValue,
                ticketTypes: rows, hasTicketTypes: !rows.isEmpty,
                canBuy: onSale && (opensAt == nil || passAdmits) && rows.contains { $0.buyable },
                waitingRoom: opensAt.map { opensAt in
                    .init(
                        opensAt: Formatting.dateTime(opensAt, timeZone: event.venue.timeZone), isOpen: opensAt <= now,
                        admitted: passAdmits, queueURL: "/events/\(event.id.lowercasedText)/queue")
                },
                onSale: onSale, signedIn: context.web.user != nil,
                signInLink: "/signin?next=" + "/events/\(event.id.lowercasedText)", problem: problem),
            web: context.web, status: status)
    }

    /// An event's public page: what it is, its ticket types and the booking form.
    struct EventPage {
        struct Paragraph {
            let text: String
        }

        struct TicketType {
            struct Quantity {
                let value: Int
            }

            let id: String
            let name: String
            let price: String
            let available: Int
            let state: String?
            let buyable: Bool
            let quantities: [Quantity]
        }

        struct WaitingRoom {
            let opensAt: String
            let isOpen: Bool
            let admitted: Bool
            let queueURL: String
        }

        let event: EventCardView
        let description: [Paragraph]
        let ends: String
        let reentry: Bool
        let ticketTypes: [TicketType]
        let hasTicketTypes: Bool
        let canBuy: Bool
        let waitingRoom: WaitingRoom?
        let onSale: Bool
        let signedIn: Bool
        let signInLink: String
        let problem: String?
    }

    /// Takes a hold on the chosen quantities (fields `qty.<ticket type id>`) and goes to checkout.
    @Sendable func book(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.requireUUID("id")
        do {
            var items: [(UUID, Int)] = []
            // An empty or zero field is a type not chosen; any other value must be a whole number the booking rules accept.
            for (name, value) in context.web.form.pairs where name.hasPrefix("qty.") && !["", "0"].contains(value) {
                guard let type = UUID(uuidString: String(name.dropFirst(4))), let quantity = Int(value) else {
                    throw DomainError.validation("items", "quantities are whole numbers from 1 to \(FieldLimits.ticketsPerBooking.upperBound)")
                }
                items.append((type, quantity))
            }
            let hold = try BookingRepository.Request.validated(eventID: id, items: items)
            let now = clock.now()
            let booking = try await bookings.hold(
                hold, user: identity.userID,
                admittedByWaitingRoom: gate.admits(WaitingRoomPages.pass(request, event: id), event: id, user: identity.userID, now: now),
                holdDuration: holdDuration, now: now, logger: context.logger)
            return .redirect(to: "/bookings/\(booking.id.uuidString.lowercased())/checkout")
        } catch let error as DomainError where error.isFormProblem || error.code == .waitingRoomPassRequired {
            let message =
                error.status == .unprocessableContent
                ? (error.fields?["items"].map { "Choose your tickets: \($0)." } ?? error.message) : error.message
            return try await eventPage(
                id, pass: WaitingRoomPages.pass(request, event: id), context: context, problem: message, status: error.status)
        }
    }
}
