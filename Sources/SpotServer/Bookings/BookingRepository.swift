import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync

/// Bookings and the inventory they hold. Seats are taken from each ticket type's stripes
/// (``InventoryStripes``), in ticket-type order, inside the transaction of the holds placed
/// together (``place(_:logger:)``): concurrent batches of one type lock different rows,
/// nobody can oversell, and a fixed lock order means no deadlock.
struct BookingRepository: Sendable {
    let database: Database
    /// Holds that arrive together, placed together: one per server process, shared by the API and the web pages.
    let holds: Batcher<PendingHold, Result<Booking, DomainError>>

    init(database: Database) {
        self.database = database
        holds = Batcher(capacity: Self.holdBatchCapacity, concurrency: Self.concurrentHoldBatches)
    }

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

    /// Holds seats for `user` until `now + holdDuration`, placed together with the holds that
    /// arrive with it (``place(_:logger:)``). `admittedByWaitingRoom`: the buyer brought a valid
    /// pass for the event (``WaitingRoomGate``), which a sale behind a waiting room needs (else
    /// 403 `waiting_room_pass_required`).
    func hold(
        _ request: Request, user: UUID, admittedByWaitingRoom: Bool, holdDuration: TimeInterval, now: Date, logger: Logger
    ) async throws -> Booking {
        let hold = PendingHold(
            id: UUID.now(now), request: request, user: user, admittedByWaitingRoom: admittedByWaitingRoom, now: now,
            expiresAt: now.addingTimeInterval(holdDuration))
        return try await holds.submit(hold) { [self] batch in try await place(batch, logger: logger) }.get()
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

    /// The bookings `ids` that exist, by id, in one statement (their tickets in one more).
    func bookings(ids: Set<UUID>, logger: Logger) async throws -> [UUID: Booking] {
        guard !ids.isEmpty else { return [:] }
        // Unprepared: a prepared statement's generic plan for `= ANY($1)` may read the whole table.
        var binds = PostgresBindings()
        try binds.append(Array(ids))
        var rows: [PostgresRow] = []
        for try await row in try await database.query(
            PostgresQuery(unsafeSQL: Self.bookingRows(where: "b.id = ANY($1)"), binds: binds), logger: logger)
        {
            rows.append(row)
        }
        return Dictionary(try await bookings(from: rows, logger: logger).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

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
        try await bookings(from: try await database.execute(statement, logger: logger), logger: logger)
    }

    private func bookings(from rows: [PostgresRow], logger: Logger) async throws -> [Booking] {
        var bookings: [Booking] = []
        for row in rows {
            let (id, user, event, status, quantity, total, refunded, currency, expires, paid, created, items) = try row.decode(
                (UUID, UUID, UUID, Booking.Status, Int, Int64, Int64, String, Date?, Date?, Date, String).self)
            bookings.append(Booking(
                id: id, userID: user, eventID: event, status: status,
                items: try JSONCoding.decoder.decode([Booking.Item].self, from: Data(items.utf8)),
                quantity: quantity, totalMinor: total, refundedMinor: refunded, currency: currency,
                expiresAt: status == .held ? expires : nil, paidAt: paid, createdAt: created, tickets: []))
        }
        let tickets = try await TicketRepository(database: database).tickets(
            bookings: bookings.filter { $0.status != .held }.map(\.id), logger: logger)
        for index in bookings.indices {
            bookings[index].tickets = tickets[bookings[index].id] ?? []
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
