import Foundation
import Hummingbird
import SpotCore

/// An event's check-ins and door sales on the organizer's pages — the API's lists (same
/// filters, same cursors), one typed model per page — and the CSV downloads of every list.
struct OrganizerRecordsPages: OrganizerPage, Sendable {
    let pages: PageRenderer
    let organizers: OrganizerRepository
    let access: EventAccess
    let records: EventRecordsRepository
    let exporter: CSVExporter

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.get("organizer/events/:id/check-ins", use: checkIns)
        site.get("organizer/events/:id/door-sales", use: doorSales)
        site.get("organizer/events/:id/exports/:kind", use: eventExport)
        site.get("organizer/exports/:kind", use: organizerExport)
    }

    /// A download on the organizer's pages: the links each list page and the dashboard show.
    struct Download {
        let name: String
        let href: String
    }

    /// A link to each export of `scope`.
    static func downloads(_ scope: ExportScope) -> [Download] {
        ExportKind.allCases.map { kind in
            let href = switch scope {
            case .event(let id): "/organizer/events/\(id.lowercasedText)/exports/\(kind.rawValue)"
            case .organizer: "/organizer/exports/\(kind.rawValue)"
            }
            return Download(name: kind.rawValue.replacingOccurrences(of: "-", with: " ").capitalized, href: href)
        }
    }

    /// A choice of a filter's `<select>`.
    struct Choice {
        let value: String
        let selected: Bool
    }

    /// The check-ins page: the filters as sent, one page of rows, the link to the older ones.
    struct CheckInsPage {
        struct Row {
            let when: String
            let ticket: String
            let gate: String
            let door: String
            let direction: String
            let verdict: String
            let admitted: Bool
        }

        let eventID: String
        let eventTitle: String
        let gate: String
        let verdicts: [Choice]
        let directions: [Choice]
        let rows: [Row]
        let problem: String?
        let older: String?
    }

    /// The door sales page.
    struct DoorSalesPage {
        struct Row {
            let when: String
            let door: String
            let ticketType: String
            let quantity: Int
            let payment: String
            let amount: String
            let withinAllotment: Bool
            let tickets: String
        }

        let eventID: String
        let eventTitle: String
        let rows: [Row]
        let problem: String?
        let older: String?
    }

    /// `path` with the request's query, its cursor replaced by `cursor`.
    private static func link(_ path: String, _ request: Request, cursor: String) -> String {
        var components = URLComponents()
        components.queryItems = request.uri.queryParameters.filter { $0.key != "cursor" }
            .map { URLQueryItem(name: String($0.key), value: String($0.value)) } + [URLQueryItem(name: "cursor", value: cursor)]
        return path + (components.string ?? "")
    }

    @Sendable func checkIns(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let event = try await ownedEvent(id, by: identity, access: access, what: "This event", logger: context.logger)
        let query = request.uri.queryParameters
        var rows: [CheckInsPage.Row] = []
        var problem: String?
        var older: String?
        do {
            let asked = try EventRecordsController.checkInQuery(request)
            let page = try await records.checkIns(
                event: event.id, filter: asked.filter, after: asked.cursor, limit: asked.limit, logger: context.logger)
            rows = page.items.map { record in
                CheckInsPage.Row(
                    when: Formatting.dateTime(record.scannedAt, timeZone: event.venue.timeZone, seconds: true),
                    ticket: String(record.ticketID.lowercasedText.prefix(8)), gate: record.gate,
                    door: record.online ? "online" : record.nodeName ?? "node",
                    direction: record.direction.rawValue, verdict: record.verdict.rawValue.replacingOccurrences(of: "_", with: " "),
                    admitted: record.verdict == .ok)
            }
            older = page.nextCursor.map { Self.link("/organizer/events/\(Self.id(event.id))/check-ins", request, cursor: $0) }
        } catch let error as DomainError where [.invalid, .badRequest].contains(error.kind) {
            problem = error.formProblem
        }
        let model = CheckInsPage(
            eventID: Self.id(event.id), eventTitle: event.title, gate: query["gate"].map(String.init) ?? "",
            verdicts: VerdictCode.allCases.map { Choice(value: $0.rawValue, selected: query["verdict"] == Substring($0.rawValue)) },
            directions: ScanDirection.allCases.map { Choice(value: $0.rawValue, selected: query["direction"] == Substring($0.rawValue)) },
            rows: rows, problem: problem, older: older)
        return try pages.render(
            "organizer_check_ins", title: "Check-ins: \(event.title)", page: model, web: context.web,
            status: problem == nil ? .ok : .unprocessableContent)
    }

    @Sendable func doorSales(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let id = try context.parameters.requireUUID("id")
        let event = try await ownedEvent(id, by: identity, access: access, what: "This event", logger: context.logger)
        var rows: [DoorSalesPage.Row] = []
        var problem: String?
        var older: String?
        do {
            let asked = try EventRecordsController.doorSaleQuery(request)
            let page = try await records.doorSales(
                event: event.id, filter: asked.filter, after: asked.cursor, limit: asked.limit, logger: context.logger)
            rows = page.items.map { sale in
                DoorSalesPage.Row(
                    when: Formatting.dateTime(sale.recordedAt, timeZone: event.venue.timeZone, seconds: true), door: sale.nodeName,
                    ticketType: sale.ticketTypeName, quantity: sale.quantity,
                    payment: sale.paymentMethod.rawValue.replacingOccurrences(of: "_", with: " "),
                    amount: Formatting.money(sale.amountMinor, sale.currency), withinAllotment: sale.withinAllotment,
                    tickets: sale.ticketIDs.map { String($0.prefix(8)) }.joined(separator: ", "))
            }
            older = page.nextCursor.map { Self.link("/organizer/events/\(Self.id(event.id))/door-sales", request, cursor: $0) }
        } catch let error as DomainError where [.invalid, .badRequest].contains(error.kind) {
            problem = error.formProblem
        }
        return try pages.render(
            "organizer_door_sales", title: "Door sales: \(event.title)",
            page: DoorSalesPage(eventID: Self.id(event.id), eventTitle: event.title, rows: rows, problem: problem, older: older),
            web: context.web, status: problem == nil ? .ok : .unprocessableContent)
    }

    @Sendable func eventExport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, identity) = try await organizer(context)
        let event = try await ownedEvent(
            try context.parameters.requireUUID("id"), by: identity, access: access, what: "This event", logger: context.logger)
        return try await exporter.response(try Self.exportKind(context), .event(event.id), logger: context.logger)
    }

    @Sendable func organizerExport(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (organizer, _) = try await organizer(context)
        return try await exporter.response(try Self.exportKind(context), .organizer(organizer.id), logger: context.logger)
    }

    private static func exportKind(_ context: AppRequestContext) throws -> ExportKind {
        guard let kind = context.parameters.get("kind").flatMap(ExportKind.init(rawValue:)) else {
            throw WebError.notFound("This export")
        }
        return kind
    }
}
