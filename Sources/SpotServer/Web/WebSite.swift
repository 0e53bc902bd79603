import Foundation
import Hummingbird

/// The server-rendered web site for attendees, organizers and admins. Its pages call the
/// same repositories and services as the JSON API (never the API over HTTP), behind
/// ``WebSessionMiddleware`` (cookie sessions, CSRF, security headers).
struct WebSite: Sendable {
    let pages: PageRenderer
    let assets: [String: (contentType: String, body: ByteBuffer)]

    /// Loads the templates and the stylesheet and script bundled with the server.
    static func load() async throws -> WebSite {
        var assets: [String: (String, ByteBuffer)] = [:]
        for (name, type) in [("site.css", "text/css; charset=utf-8"), ("site.js", "text/javascript; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Assets") else { throw WebRendererError.missingResources("Assets/\(name)") }
            assets[name] = (type, ByteBuffer(bytes: try Data(contentsOf: url)))
        }
        return WebSite(pages: try await PageRenderer.load(), assets: assets)
    }

    func addRoutes(to router: Router<AppRequestContext>, services: ServerServices) {
        router.get("assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = assets[name] else {
                throw WebError.notFound("This file")
            }
            return Response(
                status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: asset.body))
        }
        let database = services.database
        let cookies = WebCookies(secure: services.secureCookies)
        let sessions = WebSessionRepository(database: database, auth: services.auth, idleTimeout: services.webSessionIdleTimeout)
        let site = router.group()
            .add(middleware: WebSessionMiddleware(
                sessions: sessions, cookies: cookies, formKeys: services.formKeys, clock: services.clock))
        let events = EventRepository(database: database)
        let access = EventAccess(events: events, organizers: services.organizers)
        let bookings = services.bookings
        let ticketTypes = TicketTypeRepository(database: database)
        EventPages(
            pages: pages, events: events, access: access, search: EventSearch(database: database),
            ticketTypes: ticketTypes, bookings: bookings, rooms: services.waitingRooms, gate: services.waitingRoomGate,
            holdDuration: services.holdDuration, clock: services.clock
        ).addRoutes(to: site)
        OrganizerRecordsPages(
            pages: pages, organizers: services.organizers, access: access, records: EventRecordsRepository(database: database),
            exporter: CSVExporter(repository: ExportRepository(database: database))
        ).addRoutes(to: site)
        OrganizerWebhookPages(
            pages: pages, organizers: services.organizers, webhooks: WebhookRepository(database: database),
            allowsPrivateTargets: services.webhooksAllowPrivateTargets, clock: services.clock
        ).addRoutes(to: site)
        OrganizerLivePages(
            pages: pages, organizers: services.organizers, access: access, repository: DoorDashboardRepository(database: database),
            stream: DoorDashboardStream(
                repository: DoorDashboardRepository(database: database), signals: services.syncSignals, clock: services.clock),
            clock: services.clock
        ).addRoutes(to: site)
        WaitingRoomPages(
            pages: pages, access: access, rooms: services.waitingRooms, gate: services.waitingRoomGate, cookies: cookies,
            clock: services.clock
        ).addRoutes(to: site)
        AccountPages(
            pages: pages, accounts: services.accounts, auth: services.auth, sessions: sessions,
            preferences: NotificationPreferences(database: database), contacts: ContactDetails(database: database),
            cookies: cookies, formKeys: services.formKeys, clock: services.clock
        ).addRoutes(to: site)
        BookingPages(
            pages: pages, events: events, bookings: bookings,
            checkout: services.checkout,
            tickets: TicketRepository(database: database), formKeys: services.formKeys, gate: services.waitingRoomGate,
            holdDuration: services.holdDuration,
            clock: services.clock
        ).addRoutes(to: site)
        let venues = VenueRepository(database: database)
        let nodes = NodeRepository(database: database)
        let staffAccounts = StaffRepository(database: database, hasher: services.hasher)
        let statistics = StatisticsController(database: database, organizers: services.organizers, timeZones: services.timeZones)
        OrganizerPages(
            pages: pages, organizers: services.organizers, events: events, venues: venues,
            staffAccounts: staffAccounts, statistics: statistics, database: database,
            clock: services.clock
        ).addRoutes(to: site)
        OrganizerEventPages(
            pages: pages, organizers: services.organizers, events: events, access: access, ticketTypes: ticketTypes,
            venues: venues, nodes: nodes, conflicts: ConflictRepository(database: database),
            statistics: statistics, rooms: services.waitingRooms, clock: services.clock
        ).addRoutes(to: site)
        OrganizerVenuePages(
            pages: pages, organizers: services.organizers, venues: venues, nodes: nodes, timeZones: services.timeZones,
            clock: services.clock
        ).addRoutes(to: site)
        OrganizerSalesPages(
            pages: pages, organizers: services.organizers, access: access, bookings: bookings, refunds: services.refunds,
            formKeys: services.formKeys, clock: services.clock
        ).addRoutes(to: site)
        CheckInPages(
            pages: pages, checkIns: services.checkIns, organizers: services.organizers,
            staffAccounts: staffAccounts, clock: services.clock
        ).addRoutes(to: site)
        AdminPages(pages: pages, organizers: services.organizers, clock: services.clock).addRoutes(to: site)
        TokenPages(pages: pages, auth: services.auth, clock: services.clock).addRoutes(to: site)
    }
}
