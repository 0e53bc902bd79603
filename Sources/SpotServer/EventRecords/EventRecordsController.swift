import Foundation
import Hummingbird
import SpotCore

/// `/api/v1/events/{id}/check-ins` and `/door-sales`: every check-in and door sale of an
/// event, newest first, for its organizer (and admins), filtered and paged by cursor.
struct EventRecordsController: Sendable {
    let records: EventRecordsRepository
    let access: EventAccess

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("events/:id/check-ins", use: checkIns)
        api.get("events/:id/door-sales", use: doorSales)
    }

    /// Rows a page holds: `limit`, 1 to 200, 50 unless asked.
    static let pageSize = 1...200

    private func ownedEvent(_ context: AppRequestContext) async throws -> UUID {
        try await access.owned(
            try context.parameters.requireUUID("id"), by: try context.requireIdentity(), adminMay: true, logger: context.logger
        ).0.id
    }

    /// What a list's query string asks for, checked (422 naming each bad field, 400 for a bad cursor).
    struct Query<Filter: Sendable>: Sendable {
        let filter: Filter
        let cursor: ListCursor?
        let limit: Int
    }

    static func checkInQuery(_ request: Request) throws -> Query<EventRecordsRepository.CheckInFilter> {
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = EventRecordsRepository.CheckInFilter(
            gate: validator.text(query["gate"].map(String.init), "gate", required: false, maxLength: FieldLimits.gateName.upperBound),
            node: validator.uuid(query["node"], "node"),
            verdict: validator.vocabulary(query["verdict"], "verdict", VerdictCode.self),
            direction: validator.vocabulary(query["direction"], "direction", ScanDirection.self),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"),
            ticket: validator.uuid(query["ticket"], "ticket"))
        return try page(of: filter, request, &validator)
    }

    static func doorSaleQuery(_ request: Request) throws -> Query<EventRecordsRepository.DoorSaleFilter> {
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = EventRecordsRepository.DoorSaleFilter(
            node: validator.uuid(query["node"], "node"),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"),
            ticket: validator.uuid(query["ticket"], "ticket"))
        return try page(of: filter, request, &validator)
    }

    static func conflictQuery(_ request: Request) throws -> Query<EventRecordsRepository.ConflictFilter> {
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = EventRecordsRepository.ConflictFilter(
            kind: validator.vocabulary(query["kind"], "kind", ConflictKind.self), node: validator.uuid(query["node"], "node"),
            resolved: validator.boolean(query["resolved"], "resolved"),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"),
            ticket: validator.uuid(query["ticket"], "ticket"))
        return try page(of: filter, request, &validator)
    }

    /// `filter` with the request's `limit` and `cursor`, checked with whatever `validator` found in the filter.
    static func page<Filter>(of filter: Filter, _ request: Request, _ validator: inout Validator) throws -> Query<Filter> {
        let query = request.uri.queryParameters
        let limit = validator.integer(query["limit"], "limit", in: pageSize, default: 50) ?? 50
        try validator.throwIfInvalid()
        return Query(filter: filter, cursor: try query["cursor"].map { try ListCursor(text: String($0)) }, limit: limit)
    }

    @Sendable func checkIns(_ request: Request, context: AppRequestContext) async throws -> RecordPage<CheckInRecord> {
        let event = try await ownedEvent(context)
        let query = try Self.checkInQuery(request)
        return try await records.checkIns(
            event: event, filter: query.filter, after: query.cursor, limit: query.limit, logger: context.logger)
    }

    @Sendable func doorSales(_ request: Request, context: AppRequestContext) async throws -> RecordPage<DoorSaleRecord> {
        let event = try await ownedEvent(context)
        let query = try Self.doorSaleQuery(request)
        return try await records.doorSales(
            event: event, filter: query.filter, after: query.cursor, limit: query.limit, logger: context.logger)
    }
}

extension RecordPage: ResponseEncodable {}
