import Foundation
import SpotSync
import Hummingbird
import PostgresNIO
import SpotCore

/// `/api/v1/bookings` and `/api/v1/payments`: holds, checkout, cancellation, refunds,
/// transaction history.
struct BookingController: Sendable {
    let bookings: BookingRepository
    let checkout: CheckoutService
    let refunds: RefundService
    let idempotency: IdempotencyStore
    let organizers: OrganizerRepository
    let database: Database
    let waitingRooms: WaitingRoomGate
    let holdDuration: TimeInterval
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let group = api.group("bookings")
        group.post("", use: hold)
        group.get("", use: list)
        group.get(":id", use: show)
        group.post(":id/cancel", use: cancel)
        group.post(":id/checkout", use: pay)
        group.post(":id/refunds", use: refund)
        api.get("payments", use: myTransactions)
        api.get("organizers/me/transactions", use: organizerTransactions)
    }

    struct HoldRequest: Decodable {
        struct Item: Decodable {
            let ticketTypeID: UUID
            @InRange<Bounds.BookingQuantity> var quantity: Int
        }
        let eventID: UUID
        let items: [Item]
    }

    @Sendable func hold(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Booking> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: HoldRequest.self, context: context)
        let hold = try BookingRepository.Request.validated(
            eventID: body.eventID, items: body.items.map { ($0.ticketTypeID, $0.quantity) })
        let now = clock.now()
        let booking = try await bookings.hold(
            hold, user: identity.userID,
            admittedByWaitingRoom: waitingRooms.admits(
                request.headers[.waitingRoomPass], event: hold.eventID, user: identity.userID, now: now),
            holdDuration: holdDuration, now: now, logger: context.logger)
        return .init(status: .created, response: booking)
    }

    struct BookingList: ResponseEncodable {
        let items: [Booking]
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> BookingList {
        let identity = try context.requireIdentity()
        return .init(items: try await bookings.bookings(user: identity.userID, logger: context.logger))
    }

    /// The booking, if the caller is its buyer, the event's organizer, or an admin.
    private func visibleBooking(_ context: AppRequestContext) async throws -> (Booking, Identity, manages: Bool) {
        let identity = try context.requireIdentity()
        guard let booking = try await bookings.booking(id: try context.parameters.requireUUID("id"), logger: context.logger) else {
            throw DomainError.notFound("Booking")
        }
        let manages = try await managesEvent(booking.eventID, identity: identity, context: context)
        guard booking.userID == identity.userID || manages else { throw DomainError.notFound("Booking") }
        return (booking, identity, manages)
    }

    private func managesEvent(_ event: UUID, identity: Identity, context: AppRequestContext) async throws -> Bool {
        if identity.role == .admin { return true }
        guard identity.role == .organizer,
            let organizer = try await organizers.organizer(userID: identity.userID, logger: context.logger)
        else { return false }
        let rows = try await database.query(
            "SELECT 1 FROM events WHERE id = \(event) AND organizer_id = \(organizer.id)", logger: context.logger)
        for try await _ in rows { return true }
        return false
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Booking {
        try await visibleBooking(context).0
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Booking {
        let identity = try context.requireIdentity()
        return try await bookings.cancel(
            try context.parameters.requireUUID("id"), user: identity.userID, now: clock.now(), logger: context.logger)
    }

    struct CheckoutRequest: Decodable {
        struct Card: Decodable {
            let number: String
            let expiry: String
            let cvc: String
        }
        let card: Card
    }

    @Sendable func pay(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.parameters.requireUUID("id")
        let body = try await request.decodeJSON(as: CheckoutRequest.self, context: context)
        let now = clock.now()
        let card = try PaymentCard.parse(number: body.card.number, expiry: body.card.expiry, cvc: body.card.cvc, now: now).get()
        let key = try IdempotencyStore.key(from: request)
        return try await idempotency.run(
            request: request, context: context, user: identity.userID,
            fingerprint: "checkout \(id) \(card.number) \(card.expiryMonth)/\(card.expiryYear)", now: now
        ) {
            try await checkout.checkout(
                booking: id, user: identity.userID, card: card,
                gatewayKey: GatewayKey.apiCheckout(user: identity.userID, key: key), now: now, logger: context.logger)
        }
    }

    struct RefundRequestBody: Decodable {
        let ticketIDs: [UUID]?
    }

    struct RefundResponse: Encodable, Sendable {
        let refund: RefundService.Outcome
        let booking: Booking
    }

    @Sendable func refund(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (booking, identity, manages) = try await visibleBooking(context)
        guard manages else { throw DomainError.forbidden("Refunds are made by the event's organizer or an admin.") }
        let body = try await request.decodeJSONIfPresent(as: RefundRequestBody.self, context: context)
            ?? RefundRequestBody(ticketIDs: nil)
        if let ids = body.ticketIDs, ids.isEmpty { throw DomainError.validation("ticket_ids", "list at least one ticket, or omit it") }
        let key = try IdempotencyStore.key(from: request)
        let now = clock.now()
        return try await idempotency.run(
            request: request, context: context, user: identity.userID,
            fingerprint: "refund \(booking.id) \((body.ticketIDs ?? []).map { $0.uuidString }.sorted())", now: now
        ) {
            let outcome = try await refunds.refund(
                booking: booking.id, tickets: body.ticketIDs, reason: .refunded,
                gatewayKey: GatewayKey.apiRefund(user: identity.userID, key: key), now: now, logger: context.logger)
            guard let updated = try await bookings.booking(id: booking.id, logger: context.logger) else {
                throw DomainError.notFound("Booking")
            }
            return RefundResponse(refund: outcome, booking: updated)
        }
    }

    /// A page of the caller's charges and refunds (or, for an organizer, of their events'), newest
    /// first, filtered by `event_id`, `kind`, `from`, `until`, paged like an event's records.
    private func transactionPage(
        _ owner: BookingRepository.TransactionOwner, _ request: Request, context: AppRequestContext
    ) async throws -> RecordPage<BookingRepository.Transaction> {
        let query = request.uri.queryParameters
        var validator = Validator()
        let filter = BookingRepository.TransactionFilter(
            event: validator.uuid(query["event_id"], "event_id"),
            kind: query["kind"].map(String.init),
            from: validator.dateTime(query["from"], "from"), until: validator.dateTime(query["until"], "until"))
        validator.check(filter.kind.map { ["charge", "refund"].contains($0) } ?? true, "kind", "must be charge or refund")
        let page = try EventRecordsController.page(of: filter, request, &validator)
        return try await bookings.transactions(
            owner, filter: page.filter, after: page.cursor, limit: page.limit, logger: context.logger)
    }

    @Sendable func myTransactions(
        _ request: Request, context: AppRequestContext
    ) async throws -> RecordPage<BookingRepository.Transaction> {
        try await transactionPage(.user(try context.requireIdentity().userID), request, context: context)
    }

    @Sendable func organizerTransactions(
        _ request: Request, context: AppRequestContext
    ) async throws -> RecordPage<BookingRepository.Transaction> {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        return try await transactionPage(.organizer(organizer.id), request, context: context)
    }
}

extension Booking: ResponseEncodable {}
