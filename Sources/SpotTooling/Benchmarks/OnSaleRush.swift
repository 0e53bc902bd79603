import Foundation
import Logging
import PostgresNIO
import SpotServer
import Synchronization

/// The on-sale rush benchmark: a fresh ticket type of `seats` seats on the benchmark venue's
/// event, and `buyers` accounts that buy one ticket at a time (hold, then checkout with the
/// simulation's success card) until the type is sold out.
public struct OnSaleRush: Sendable {
    public let eventID: UUID
    public let ticketTypeID: UUID
    public let seats: Int
    public let buyerEmails: [String]
    /// When the run was prepared: confirmations queued since then are this run's.
    public let preparedAt: Date

    /// The card every buyer pays with: the simulation gateway charges it.
    static let card = #"{"card":{"number":"4242424242424242","expiry":"12/39","cvc":"123"}}"#

    /// Creates the ticket type and the buyers (or resets their password to `password`).
    public static func prepare(
        seats: Int, buyers: Int, password: String, database: Database, now: Date = Date(), logger: Logger
    ) async throws -> OnSaleRush {
        let venue = try await SyncBenchmarkVenue.prepare(tickets: 0, database: database, now: now, logger: logger)
        let type = UUID()
        let emails = (1...buyers).map { "rush-buyer-\($0)@bench.hvflvspot.test" }
        let hash = try await PasswordHasher(cost: 4).hash(password)
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO ticket_types (id, event_id, name, price_minor, currency, capacity, max_per_order)
                VALUES (\(type), \(venue.eventID), \("On-sale rush " + now.formatted(.iso8601)), 2500, 'EUR', \(seats), 10)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO users (id, email, email_normalized, password_hash, display_name, role)
                SELECT gen_random_uuid(), e, e, \(hash), 'Rush buyer', 'attendee' FROM unnest(\(emails)::text[]) e
                ON CONFLICT (email_normalized) DO UPDATE SET password_hash = EXCLUDED.password_hash
                """, logger: logger)
        }
        return OnSaleRush(eventID: venue.eventID, ticketTypeID: type, seats: seats, buyerEmails: emails, preparedAt: now)
    }

    /// What the buyers saw.
    public struct Run: Sendable {
        /// Each purchase's time from sending the hold to the checkout's answer.
        public var latencies: [Duration] = []
        /// Purchases that were answered "sold out" although a later hold, sent after that
        /// answer arrived, still got a seat (nothing is released during the run, so the seat
        /// was there).
        public var falseSoldOut = 0
        public var elapsed: Duration = .zero
    }

    /// Every buyer (one connection each, `tokens[k]` its access token) buys one ticket at a
    /// time until a hold is answered `sold_out`.
    public func run(port: Int, tokens: [String]) async throws -> Run {
        struct Log { var latencies: [Duration] = []; var successSends: [ContinuousClock.Instant] = []; var soldOuts: [ContinuousClock.Instant] = [] }
        let log = Mutex(Log())
        let hold = #"{"event_id":"\#(eventID.uuidString.lowercased())","items":[{"ticket_type_id":"\#(ticketTypeID.uuidString.lowercased())","quantity":1}]}"#
        let started = ContinuousClock.now
        try await BenchLoadClient(port: port).runSessions(clients: tokens.count) { client, connection in
            let token = tokens[client]
            var mine = Log()
            defer { log.withLock { $0.latencies += mine.latencies; $0.successSends += mine.successSends; $0.soldOuts += mine.soldOuts } }
            while true {
                let sent = ContinuousClock.now
                let (status, body) = try connection.exchange(Self.request("POST", "/api/v1/bookings", token: token, body: hold))
                if status == 409, String(decoding: body, as: UTF8.self).contains(#""sold_out""#) {
                    mine.soldOuts.append(.now)
                    return
                }
                guard status == 201, let booking = Self.bookingID(in: body) else {
                    throw ToolingError("a hold was answered HTTP \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
                }
                let paid = try connection.exchange(Self.request(
                    "POST", "/api/v1/bookings/\(booking)/checkout", token: token, body: Self.card,
                    extraHeaders: "Idempotency-Key: \(UUID().uuidString)\r\n"))
                guard paid.status == 200 else {
                    throw ToolingError("a checkout was answered HTTP \(paid.status): \(String(decoding: paid.body.prefix(300), as: UTF8.self))")
                }
                mine.latencies.append(ContinuousClock.now - sent)
                mine.successSends.append(sent)
            }
        }
        let elapsed = ContinuousClock.now - started
        return log.withLock { log in
            let lastSuccessSent = log.successSends.max()
            return Run(
                latencies: log.latencies,
                falseSoldOut: lastSuccessSent.map { last in log.soldOuts.filter { $0 < last }.count } ?? 0,
                elapsed: elapsed)
        }
    }

    private static func request(_ method: String, _ path: String, token: String, body: String, extraHeaders: String = "") -> [UInt8] {
        Array((
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer \(token)\r\n\(extraHeaders)Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    /// The `id` of a booking answer.
    private static func bookingID(in body: ArraySlice<UInt8>) -> String? {
        struct Booking: Decodable { let id: UUID }
        return (try? JSONDecoder().decode(Booking.self, from: Data(body)))?.id.uuidString.lowercased()
    }

    /// The ticket type's seats as the database holds them after a run.
    public struct Outcome: Sendable, Equatable {
        /// Valid tickets issued for the type.
        public let issued: Int
        /// Paid bookings of the type and the tickets they say they bought.
        public let paidBookings: Int
        public let paidQuantity: Int
        /// Booking confirmations queued for the buyers by email (the default channels are email and push).
        public let confirmationsQueued: Int
        /// Seats neither sold nor held, by the server's own count of what is left.
        public let unsold: Int
    }

    /// Throws unless the run sold exactly ``seats`` seats: that many purchases answered and
    /// tickets issued, as many paid bookings and confirmations, no seat left, no false sold-out.
    public func verify(_ run: Run, database: Database, logger: Logger) async throws {
        let outcome = try await outcome(database: database, logger: logger)
        let exact = Outcome(issued: seats, paidBookings: seats, paidQuantity: seats, confirmationsQueued: seats, unsold: 0)
        guard outcome == exact, run.latencies.count == seats, run.falseSoldOut == 0 else {
            throw ToolingError(
                "the on-sale rush did not sell exactly \(seats) seats: \(run.latencies.count) purchases answered, "
                    + "\(run.falseSoldOut) false sold-out; the database holds \(outcome)")
        }
    }

    public func outcome(database: Database, logger: Logger) async throws -> Outcome {
        let rows = try await database.query(
            """
            SELECT (SELECT count(*)::int FROM tickets WHERE ticket_type_id = \(ticketTypeID) AND status = 'valid'),
                   (SELECT count(*)::int FROM bookings b JOIN booking_items i ON i.booking_id = b.id
                    WHERE i.ticket_type_id = \(ticketTypeID) AND b.status = 'paid'),
                   (SELECT coalesce(sum(i.quantity), 0)::int FROM bookings b JOIN booking_items i ON i.booking_id = b.id
                    WHERE i.ticket_type_id = \(ticketTypeID) AND b.status = 'paid'),
                   (SELECT count(*)::int FROM notifications n JOIN users u ON u.id = n.user_id
                    WHERE u.email_normalized = ANY(\(buyerEmails)::text[]) AND n.kind = 'booking_confirmed' AND n.channel = 'email'
                      AND n.created_at >= \(preparedAt)),
                   (SELECT capacity - reserved - allotted FROM ticket_types WHERE id = \(ticketTypeID))
            """, logger: logger)
        for try await (issued, bookings, quantity, queued, unsold) in rows.decode((Int, Int, Int, Int, Int).self) {
            return Outcome(issued: issued, paidBookings: bookings, paidQuantity: quantity, confirmationsQueued: queued, unsold: unsold)
        }
        throw ToolingError("the on-sale ticket type \(ticketTypeID) is gone")
    }
}
