import Foundation
import Hummingbird

/// An event's doors, live, on the organizer's pages: `/organizer/events/{id}/live` shows the
/// board (and, without script, reloads every ``noScriptRefreshSeconds``); the page's script
/// follows `/organizer/events/{id}/live/stream`, whose events carry the board's HTML, rendered
/// by the same template.
struct OrganizerLivePages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let access: EventAccess
    let repository: DoorDashboardRepository
    let stream: DoorDashboardStream
    let clock: ServerClock

    static let noScriptRefreshSeconds = 10

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer/events/:id/live", use: page)
        site.get("organizer/events/:id/live/stream", use: live)
    }

    /// The page around the board.
    struct LivePage {
        let eventID: String
        let eventTitle: String
        let board: Board
    }

    /// What `live_board.mustache` shows of a ``DoorDashboard``.
    struct Board {
        struct Gate {
            let name: String
            let admitted: Int
            let refused: Int
        }

        struct Door {
            let name: String
            let admitted: Int
            let refused: Int
            let doorSales: Int
            let sync: String
            let health: String
        }

        let admitted: Int
        let sold: Int
        /// Admitted as a share of sold; nil when more were admitted than are sold now (refunded tickets admitted).
        let share: String?
        let lastMinute: Int
        let minutes: BarChart
        let gates: [Gate]
        let hasGates: Bool
        let doors: [Door]
        let doorSales: Int
        /// `1 ticket`, `3 tickets`.
        let doorTickets: String
        let doorAmounts: String
        let openConflicts: Int

        init(_ dashboard: DoorDashboard, timeZone: String) {
            func clock(_ date: Date) -> String { String(Formatting.dateTime(date, timeZone: timeZone, seconds: true).suffix(8)) }
            admitted = dashboard.admitted
            sold = dashboard.sold
            share = dashboard.admitted <= dashboard.sold && dashboard.sold > 0
                ? "(\(dashboard.admitted * 100 / dashboard.sold) %)" : nil
            lastMinute = dashboard.perMinute.last?.admitted ?? 0
            minutes = BarChart(
                bars: dashboard.perMinute.map { (String(clock($0.startsAt).prefix(5)), Double($0.admitted), nil) },
                unit: "admissions a minute, the last \(DoorDashboard.minutes) minutes (the venue's time)")
            gates = dashboard.gates.map { Gate(name: $0.gate, admitted: $0.admitted, refused: $0.refused) }
            hasGates = !gates.isEmpty
            doors = dashboard.doors.map { door in
                let sync: String
                switch door.sync {
                case nil: sync = "the server itself"
                case let health?:
                    var parts = [health.lastSeenAt.map { "heard \(clock($0))" } ?? "never synced"]
                    if let outbox = health.outboxDepth, outbox > 0 { parts.append("\(outbox) waiting to upload") }
                    if health.clockSkewed { parts.append("clock off") }
                    sync = parts.joined(separator: ", ")
                }
                return Door(
                    name: door.name, admitted: door.admitted, refused: door.refused, doorSales: door.doorSales, sync: sync,
                    health: door.sync.map { $0.health.rawValue } ?? "in_touch")
            }
            doorSales = dashboard.doorSales.sales
            doorTickets = "\(dashboard.doorSales.tickets) ticket\(dashboard.doorSales.tickets == 1 ? "" : "s")"
            doorAmounts = dashboard.doorSales.amounts.isEmpty
                ? "nothing taken"
                : dashboard.doorSales.amounts.map { Formatting.money($0.amountMinor, $0.currency) }.joined(separator: " + ")
            openConflicts = dashboard.openConflicts
        }
    }

    private func ownedEvent(_ context: AppRequestContext) async throws -> Event {
        let (_, identity) = try await organizer(context)
        return try await ownedEvent(
            try context.parameters.requireUUID("id"), by: identity, access: access, what: "This event", logger: context.logger)
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let event = try await ownedEvent(context)
        let dashboard = try await repository.dashboard(of: event, now: clock.now(), logger: context.logger)
        return try pages.render(
            "organizer_live", title: "Doors live: \(event.title)",
            page: LivePage(
                eventID: Self.id(event.id), eventTitle: event.title, board: Board(dashboard, timeZone: event.venue.timeZone)),
            web: context.web, refreshSeconds: Self.noScriptRefreshSeconds)
    }

    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Response {
        let event = try await ownedEvent(context)
        let pages = pages
        return stream.response(event, logger: context.logger) { dashboard in
            try pages.fragment("live_board", Board(dashboard, timeZone: event.venue.timeZone))
        }
    }
}
