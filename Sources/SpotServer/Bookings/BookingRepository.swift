import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Bookings and the inventory they hold. Seats are taken from each ticket type's stripes
/// (``InventoryStripes``), in ticket-type order, inside the hold's transaction: concurrent
/// buyers of one type lock different rows, nobody can oversell, and a fixed lock order means
/// no deadlock.
struct BookingRepository: Sendable {
    let database: Database

    /// Tickets one booking may hold at most, across its ticket types.
    static let maximumTicketsPerBooking = FieldLimits.ticketsPerBooking.upperBound

    struct Request: Sendable {
        let eventID: UUID
        let items: [(ticketTypeID: UUID, quantity: Int)]

        /// A hold request, or 422: at least one type, each once, quantities from 1,
        /// at most ``maximumTicketsPerBooking`` in all.
        static func validated(eventID: UUID, items: [(UUID, Int)]) throws -> Request {
            var validator = Validator()
            validator.check(!items.isEmpty, "items", "choose at least one ticket type")
            validator.check(Set(items.map(\.0)).count == items.count, "items", "list each ticket type once")
            validator.check(items.allSatisfy { $0.1 >= 1 }, "items", "quantities start at 1")
            validator.check(
                (items.map(\.1).checkedSum() ?? .max) <= maximumTicketsPerBooking, "items",
                "at most \(maximumTicketsPerBooking) tickets per booking")
            try validator.throwIfInvalid()
            return Request(eventID: eventID, items: items.map { (ticketTypeID: $0.0, quantity: $0.1) })
        }
    }

    /// Holds seats for `user` until `now + holdDuration`. `admittedByWaitingRoom`: the buyer
    /// brought a valid pass for the event (``WaitingRoomGate``), which a sale behind a waiting
    /// room needs (else 403 `waiting_room_pass_required`).
    func hold(
        _ request: Request, user: UUID, admittedByWaitingRoom: Bool, holdDuration: TimeInterval, now: Date, logger: Logger
    ) async throws -> Booking {
        let id = UUID.now(now)
        let items = request.items.sorted { $0.ticketTypeID.uuidString < $1.ticketTypeID.uuidString }
        try await database.withTransaction(logger: logger) { connection in
            var event: (String, Date, Bool)?
            for try await row in try await connection.execute(Prepared<EventOnSale>("\(request.eventID)"), logger: logger) {
                event = try row.decode((String, Date, Bool).self)
            }
            guard let (status, endsAt, hasWaitingRoom) = event, status != "draft" else { throw DomainError.notFound("Event") }
            guard status == "published", endsAt > now else {
                throw DomainError.conflict("This event is not on sale.", code: .eventNotOnSale)
            }
            guard !hasWaitingRoom || admittedByWaitingRoom else {
                throw DomainError(
                    .forbidden, .waitingRoomPassRequired,
                    "This sale has a waiting room: join the line, and book with the pass it gives you when it lets you in.")
            }
            var reserved: [(ticketTypeID: UUID, quantity: Int, price: Int64)] = []
            var currencies = Set<String>()
            for item in items {
                let (price, currency) = try await Self.terms(of: item, event: request.eventID, on: connection, now: now, logger: logger)
                do {
                    try await InventoryStripes.take(item.quantity, of: item.ticketTypeID, for: id, on: connection, logger: logger)
                } catch InventoryStripes.Shortage.soldOut(let left) {
                    throw DomainError(
                        .conflict, .soldOut,
                        left > 0 ? "Only \(left) ticket\(left == 1 ? "" : "s") of this type left." : "This ticket type is sold out.",
                        fields: ["ticket_type_id": item.ticketTypeID.uuidString.lowercased()])
                }
                reserved.append((item.ticketTypeID, item.quantity, price))
                currencies.insert(currency)
            }
            guard currencies.count == 1, let currency = currencies.first else {
                throw DomainError.validation("items", "all ticket types of one booking must have the same currency")
            }
            // At most 20 tickets at FieldLimits.priceMinor each: cannot overflow; checked all the same.
            guard let total = reserved.map({ $0.price.multipliedReportingOverflow(by: Int64($0.quantity)) })
                .map({ $0.overflow ? Int64.max : $0.partialValue }).checkedSum(), total < Int64.max
            else { throw DomainError.validation("items", "the total is too large") }
            _ = try await connection.execute(
                Prepared<InsertHold>(
                    """
                    \(id)\(user)\(request.eventID)\(reserved.map(\.quantity).checkedSum() ?? 0)\(total)\(currency)\
                    \(now.addingTimeInterval(holdDuration))\(now)
                    """), logger: logger)
            for item in reserved {
                _ = try await connection.execute(
                    Prepared<InsertHoldItem>("\(id)\(item.ticketTypeID)\(item.quantity)\(item.price)"), logger: logger)
            }
        }
        return try await booking(id: id, logger: logger)!
    }

    /// An event's status, its end and whether its sale has a waiting room, by `$1`.
    private enum EventOnSale: PreparedSQL {
        static let text = """
            SELECT e.status, e.ends_at, w.event_id IS NOT NULL FROM events e LEFT JOIN waiting_rooms w ON w.event_id = e.id
            WHERE e.id = $1
            """
    }

    /// A held booking: id, buyer, event, seats, total, currency, release time, creation time.
    private enum InsertHold: PreparedSQL {
        static let text = """
            INSERT INTO bookings (id, user_id, event_id, status, quantity, total_minor, currency, expires_at, created_at, updated_at)
            VALUES ($1, $2, $3, 'held', $4, $5, $6, $7, $8, $8)
            """
    }

    /// One ticket type of a held booking: booking, type, seats, unit price.
    private enum InsertHoldItem: PreparedSQL {
        static let text = """
            INSERT INTO booking_items (booking_id, ticket_type_id, quantity, unit_price_minor) VALUES ($1, $2, $3, $4)
            """
    }

    /// A ticket type's terms, by type `$1` and event `$2`.
    private enum SaleTerms: PreparedSQL {
        static let text = """
            SELECT price_minor, currency, max_per_order, sales_start, sales_end FROM ticket_types WHERE id = $1 AND event_id = $2
            """
    }

    /// The price and currency of a ticket type of `event` that `item` may be held from, or
    /// why not. A plain read: the seats themselves are taken, locked, by ``InventoryStripes``.
    private static func terms(
        of item: (ticketTypeID: UUID, quantity: Int), event: UUID, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws -> (price: Int64, currency: String) {
        let rows = try await connection.execute(Prepared<SaleTerms>("\(item.ticketTypeID)\(event)"), logger: logger)
        for try await row in rows {
            let (price, currency, maxPerOrder, start, end) = try row.decode((Int64, String, Int, Date?, Date?).self)
            if item.quantity > maxPerOrder {
                throw DomainError.validation("items", "at most \(maxPerOrder) tickets of this type per booking")
            }
            if let start, start > now { throw DomainError.conflict("Sales for this ticket type have not started.", code: .salesNotStarted) }
            if let end, end <= now { throw DomainError.conflict("Sales for this ticket type have ended.", code: .salesEnded) }
            return (price, currency)
        }
        throw DomainError.validation("items", "ticket type \(item.ticketTypeID.uuidString.lowercased()) is not sold for this event")
    }

    /// Gives held seats back to the pool and closes the booking with `status`.
    static func release(
        booking: UUID, status: Booking.Status, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE ticket_types t SET reserved = t.reserved - i.quantity, updated_at = \(now)
            FROM (SELECT ticket_type_id, quantity FROM booking_items WHERE booking_id = \(booking) ORDER BY ticket_type_id) i
            WHERE t.id = i.ticket_type_id
            """, logger: logger)
        try await connection.query(
            """
            UPDATE bookings SET status = \(status.rawValue), closed_at = \(now), updated_at = \(now)
            WHERE id = \(booking)
            """, logger: logger)
    }

    /// Cancels the caller's own unpaid hold.
    func cancel(_ id: UUID, user: UUID, now: Date, logger: Logger) async throws -> Booking {
        try await database.withTransaction(logger: logger) { connection in
            let status = try await Self.lock(id, user: user, on: connection, logger: logger)
            guard status == .held else {
                throw DomainError.conflict("Only an unpaid hold can be cancelled; ask the organizer for a refund.", code: .bookingNotHeld)
            }
            try await Self.release(booking: id, status: .cancelled, on: connection, now: now, logger: logger)
        }
        return try await booking(id: id, logger: logger)!
    }

    /// Locks a booking of `user` (or any booking when `user` is nil) and returns its status; 404 otherwise.
    static func lock(_ id: UUID, user: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> Booking.Status {
        let rows = try await connection.query(
            """
            SELECT status FROM bookings WHERE id = \(id) AND (\(user)::uuid IS NULL OR user_id = \(user)) FOR UPDATE
            """, logger: logger)
        for try await status in rows.decode(Booking.Status.self) { return status }
        throw DomainError.notFound("Booking")
    }

    func booking(id: UUID, logger: Logger) async throws -> Booking? {
        try await bookings(Prepared<BookingByID>("\(id)"), logger: logger).first
    }

    func bookings(user: UUID, logger: Logger) async throws -> [Booking] {
        try await bookings(Prepared<BookingsOfUser>("\(user)"), logger: logger)
    }

    /// A booking with its items, by `$1`.
    private enum BookingByID: PreparedSQL { static let text = bookingRows(where: "b.id = $1") }
    /// A buyer's bookings with their items, newest first, by `$1`.
    private enum BookingsOfUser: PreparedSQL { static let text = bookingRows(where: "b.user_id = $1") }

    private static func bookingRows(where condition: String) -> String {
        """
        SELECT b.id, b.user_id, b.event_id, b.status, b.quantity, b.total_minor, b.refunded_minor, b.currency,
               b.expires_at, b.paid_at, b.created_at,
               coalesce(json_agg(json_build_object('ticket_type_id', i.ticket_type_id, 'name', tt.name,
                                                   'quantity', i.quantity, 'unit_price_minor', i.unit_price_minor)
                                 ORDER BY tt.name) FILTER (WHERE i.booking_id IS NOT NULL), '[]')::text
        FROM bookings b
        LEFT JOIN booking_items i ON i.booking_id = b.id LEFT JOIN ticket_types tt ON tt.id = i.ticket_type_id
        WHERE \(condition)
        GROUP BY b.id ORDER BY b.created_at DESC
        """
    }

    private func bookings<SQL>(_ statement: Prepared<SQL>, logger: Logger) async throws -> [Booking] {
        var bookings: [Booking] = []
        for row in try await database.execute(statement, logger: logger) {
            let (id, user, event, status, quantity, total, refunded, currency, expires, paid, created, items) = try row.decode(
                (UUID, UUID, UUID, Booking.Status, Int, Int64, Int64, String, Date?, Date?, Date, String).self)
            bookings.append(Booking(
                id: id, userID: user, eventID: event, status: status,
                items: try JSONCoding.decoder.decode([Booking.Item].self, from: Data(items.utf8)),
                quantity: quantity, totalMinor: total, refundedMinor: refunded, currency: currency,
                expiresAt: status == .held ? expires : nil, paidAt: paid, createdAt: created, tickets: []))
        }
        let tickets = TicketRepository(database: database)
        for index in bookings.indices where bookings[index].status != .held {
            bookings[index].tickets = try await tickets.tickets(booking: bookings[index].id, logger: logger)
        }
        return bookings
    }

    // MARK: Payment history

    /// A charge or refund as the buyer or organizer sees it.
    struct Transaction: Codable, Sendable {
        @LowercaseUUID var id: UUID
        @LowercaseUUID var bookingID: UUID
        @LowercaseUUID var eventID: UUID
        let eventTitle: String
        let kind: String
        let amountMinor: Int64
        let currency: String
        let reference: String
        let createdAt: Date
    }

    enum TransactionOwner: Sendable {
        case user(UUID)
        case organizer(UUID)
    }

    /// Which charges and refunds a page lists.
    struct TransactionFilter: Sendable {
        var event: UUID?
        var kind: String?
        var from: Date?
        var until: Date?
    }

    /// Charges and refunds of a buyer or of an organizer's events, newest first: every one, or
    /// a page of `limit` after `cursor` (``ListCursor``).
    func transactions(
        _ owner: TransactionOwner, filter: TransactionFilter = .init(), after cursor: ListCursor? = nil, limit: Int? = nil,
        logger: Logger
    ) async throws -> RecordPage<Transaction> {
        let (user, organizer): (UUID?, UUID?) = switch owner {
        case .user(let id): (id, nil)
        case .organizer(let id): (nil, id)
        }
        let rows = try await database.query(
            """
            SELECT p.id, p.booking_id, b.event_id, e.title, p.kind, p.amount_minor, p.currency, p.gateway_reference,
                   p.created_at, (extract(epoch FROM p.created_at) * 1000000)::bigint
            FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id JOIN events e ON e.id = b.event_id
            WHERE (\(user)::uuid IS NULL OR p.user_id = \(user)) AND (\(organizer)::uuid IS NULL OR p.organizer_id = \(organizer))
              AND (\(filter.event)::uuid IS NULL OR b.event_id = \(filter.event))
              AND (\(filter.kind)::text IS NULL OR p.kind = \(filter.kind))
              AND (\(filter.from)::timestamptz IS NULL OR p.created_at >= \(filter.from))
              AND (\(filter.until)::timestamptz IS NULL OR p.created_at < \(filter.until))
              AND (\(cursor?.micros)::bigint IS NULL
                   OR (p.created_at, p.id) < (timestamptz 'epoch' + \(cursor?.micros)::bigint * interval '1 microsecond', \(cursor?.id)))
            ORDER BY p.created_at DESC, p.id DESC
            LIMIT \(limit.map { $0 + 1 })
            """, logger: logger)
        var read: [(item: Transaction, cursor: ListCursor)] = []
        for try await (id, booking, event, title, kind, amount, currency, reference, created, micros) in rows.decode(
            (UUID, UUID, UUID, String, String, Int64, String, String, Date, Int64).self)
        {
            read.append((
                Transaction(
                    id: id, bookingID: booking, eventID: event, eventTitle: title, kind: kind, amountMinor: amount,
                    currency: currency, reference: reference, createdAt: created),
                ListCursor(micros: micros, id: id)))
        }
        return RecordPage(rows: read, limit: limit)
    }
}
