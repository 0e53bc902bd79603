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

    @Sendable func checkIns(_ request: Request, context: AppRequestContext) async throws -> RecordPage<CheckInRecord> {
        let event = try await ownedEvent(context)
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = EventRecordsRepository.CheckInFilter(
            gate: validator.text(query["gate"].map(String.init), "gate", required: false, maxLength: FieldLimits.gateName.upperBound),
            node: validator.uuid(query["node"], "node"),
            verdict: validator.vocabulary(query["verdict"], "verdict", VerdictCode.self),
            direction: validator.vocabulary(query["direction"], "direction", ScanDirection.self),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"),
            ticket: validator.uuid(query["ticket"], "ticket"))
        let limit = validator.integer(query["limit"], "limit", in: Self.pageSize, default: 50) ?? 50
        try validator.throwIfInvalid()
        return try await records.checkIns(
            event: event, filter: filter, after: try query["cursor"].map { try ListCursor(text: String($0)) }, limit: limit,
            logger: context.logger)
    }

    @Sendable func doorSales(_ request: Request, context: AppRequestContext) async throws -> RecordPage<DoorSaleRecord> {
        let event = try await ownedEvent(context)
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = EventRecordsRepository.DoorSaleFilter(
            node: validator.uuid(query["node"], "node"),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"),
            ticket: validator.uuid(query["ticket"], "ticket"))
        let limit = validator.integer(query["limit"], "limit", in: Self.pageSize, default: 50) ?? 50
        try validator.throwIfInvalid()
        return try await records.doorSales(
            event: event, filter: filter, after: try query["cursor"].map { try ListCursor(text: String($0)) }, limit: limit,
            logger: context.logger)
    }
}

extension RecordPage: ResponseEncodable {}
