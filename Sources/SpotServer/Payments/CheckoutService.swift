import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Paying for a hold: record the attempt, charge the card, then — in one transaction — mark
/// the booking paid, issue its tickets, record the charge and queue the confirmation. A
/// declined card closes the hold and gives the seats back; a timeout leaves the hold for a
/// retry with the same key (the gateway never charges a key twice). Checkouts that arrive
/// together do each step together (``checkOut(_:logger:)``).
struct CheckoutService: Sendable {
    let database: Database
    let gateway: any PaymentGateway
    /// Where the paid bookings are read back.
    let bookings: BookingRepository
    /// Checkouts that arrive together, paid for together (``checkOut(_:logger:)``): one per
    /// server process, shared by the API and the web pages.
    let checkouts: Batcher<Checkout, Result<Booking, DomainError>>

    /// At most this many checkouts are paid for in one batch.
    static let batchCapacity = 64
    /// Batches at once (per server process): two, so the next batch's attempts are recorded
    /// while one batch waits for its charges (a real processor answers in hundreds of milliseconds).
    static let concurrentBatches = 2

    init(database: Database, gateway: any PaymentGateway, bookings: BookingRepository) {
        self.database = database
        self.gateway = gateway
        self.bookings = bookings
        checkouts = Batcher(capacity: Self.batchCapacity, concurrency: Self.concurrentBatches)
    }

    /// One checkout waiting for its batch.
    struct Checkout: Sendable {
        let booking: UUID
        let user: UUID
        let card: PaymentCard
        let gatewayKey: String
        let now: Date
    }

    /// Pays for `user`'s hold `booking` with `card`, in a batch with the checkouts that arrive
    /// with it; the paid booking with its tickets.
    @discardableResult
    func checkout(
        booking: UUID, user: UUID, card: PaymentCard, gatewayKey: String, now: Date, logger: Logger
    ) async throws -> Booking {
        let checkout = Checkout(booking: booking, user: user, card: card, gatewayKey: gatewayKey, now: now)
        return try await checkouts.submit(checkout) { [self] batch in try await checkOut(batch, logger: logger) }.get()
    }

    /// Pays for `batch`: each booking's first checkout together with the others'
    /// (``checkOutTogether(_:logger:)``); a booking's further checkouts in the batch after
    /// that, one by one, each a batch of its own — they find it paid, or try again. The paid
    /// bookings are read back in one statement (and their tickets in one more).
    func checkOut(_ batch: [Checkout], logger: Logger) async throws -> [Result<Booking, DomainError>] {
        var seen = Set<UUID>()
        let firsts = batch.indices.filter { seen.insert(batch[$0].booking).inserted }
        var outcomes = [Result<Void, DomainError>](repeating: .success(()), count: batch.count)
        for (index, outcome) in zip(firsts, try await checkOutTogether(firsts.map { batch[$0] }, logger: logger)) {
            outcomes[index] = outcome
        }
        for index in Set(batch.indices).subtracting(firsts).sorted() {
            outcomes[index] = try await checkOutTogether([batch[index]], logger: logger)[0]
        }
        let read = try await bookings.bookings(
            ids: Set(batch.indices.filter { (try? outcomes[$0].get()) != nil }.map { batch[$0].booking }), logger: logger)
        return zip(batch, outcomes).map { checkout, outcome in
            outcome.flatMap { read[checkout.booking].map { .success($0) } ?? .failure(.notFound("Booking")) }
        }
    }

    /// What the processor said to one charge.
    private enum ChargeOutcome: Sendable {
        case succeeded(reference: String)
        case declined(code: String)
        /// The processor failed: nothing was charged, the attempt is marked failed, the hold is kept.
        case processorError
        /// Refused before anything happened (a reused key, a timeout): nothing to record.
        case refused(DomainError)
    }

    /// Charges `checkout`'s card `amount`; the processor's answer, never an error.
    private static func charge(_ checkout: Checkout, amount: (Int64, String), gateway: any PaymentGateway) async -> ChargeOutcome {
        do {
            switch try await gateway.charge(
                ChargeRequest(
                    idempotencyKey: checkout.gatewayKey, reference: "booking:\(checkout.booking.lowercasedText)",
                    amountMinor: amount.0, currency: amount.1, card: checkout.card))
            {
            case .succeeded(let reference): return .succeeded(reference: reference)
            case .declined(let code): return .declined(code: code)
            }
        } catch GatewayError.idempotencyKeyReused {
            return .refused(.idempotencyKeyReused)
        } catch GatewayError.timeout {
            return .refused(DomainError(
                .processorTimeout, .paymentTimeout,
                "The payment processor did not answer. Retry with the same Idempotency-Key: you will not be charged twice."))
        } catch {
            return .processorError
        }
    }

    /// Records what a declined or failed charge leaves behind (a declined card also closes the
    /// hold and gives its seats back) and the buyer's refusal.
    private static func settleRefusal(
        _ outcome: ChargeOutcome, of checkout: Checkout, on connection: PostgresConnection, logger: Logger
    ) async throws -> DomainError? {
        switch outcome {
        case .succeeded:
            return nil
        case .refused(let refusal):
            return refusal
        case .processorError:
            try await connection.query(
                """
                UPDATE payment_attempts SET status = 'failed', failure_code = 'processor_error', updated_at = \(checkout.now)
                WHERE gateway_key = \(checkout.gatewayKey)
                """, logger: logger)
            return DomainError(
                .processorFailed, .paymentProcessorError,
                "The payment processor failed; nothing was charged. Try again (the hold is kept).")
        case .declined(let code):
            try await connection.query(
                """
                UPDATE payment_attempts SET status = 'declined', failure_code = \(code), updated_at = \(checkout.now)
                WHERE gateway_key = \(checkout.gatewayKey)
                """, logger: logger)
            try await BookingRepository.release(
                booking: checkout.booking, status: .cancelled, on: connection, now: checkout.now, logger: logger)
            return DomainError(
                .paymentDeclined, .paymentDeclined,
                code == "insufficient_funds"
                    ? "The card was declined for insufficient funds. The seats were released; start a new booking to try another card."
                    : "The card was declined. The seats were released; start a new booking to try another card.",
                fields: ["decline_code": code])
        }
    }

    /// Whether a locked booking is to be charged (true) or is paid already (false), or why it
    /// cannot be checked out.
    private static func refusal(
        _ found: LockedHold?, of checkout: Checkout
    ) -> Result<Bool, DomainError> {
        guard let found, found.user == checkout.user else { return .failure(.notFound("Booking")) }
        if found.status == .paid { return .success(false) }
        guard found.status == .held else {
            return .failure(.conflict("This booking is \(found.status.rawValue); start a new one.", code: .bookingNotHeld))
        }
        if let expires = found.expires, expires <= checkout.now {
            return .failure(.conflict("The hold has expired; start a new booking.", code: .bookingExpired))
        }
        return .success(true)
    }

    /// A booking locked for checkout.
    private struct LockedHold: Sendable {
        let user: UUID
        let status: Booking.Status
        let total: Int64
        let currency: String
        let expires: Date?
    }

    /// Locks `bookings` in id order (so batches and single checkouts never deadlock); those that exist.
    private static func lock(_ bookings: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [UUID: LockedHold] {
        let rows = try await connection.query(
            """
            SELECT id, user_id, status, total_minor, currency, expires_at FROM bookings
            WHERE id = ANY(\(bookings)) ORDER BY id FOR UPDATE
            """, logger: logger)
        var found: [UUID: LockedHold] = [:]
        for try await (id, user, status, total, currency, expires) in rows.decode(
            (UUID, UUID, Booking.Status, Int64, String, Date?).self)
        {
            found[id] = LockedHold(user: user, status: status, total: total, currency: currency, expires: expires)
        }
        return found
    }

    /// Pays for `batch` (one checkout per booking) in two transactions: every attempt recorded
    /// and committed before any card is charged, then every booking
    /// locked, the cards charged concurrently, and the paid bookings completed together. The
    /// batch commits when its slowest charge has answered: a processor that takes its time
    /// delays the batch's other buyers as long (a gateway bounds each charge with its own timeout).
    private func checkOutTogether(_ batch: [Checkout], logger: Logger) async throws -> [Result<Void, DomainError>] {
        // 1. Record the attempts before calling out, so their keys survive any crash that follows.
        let checked: [Result<(Int64, String)?, DomainError>] = try await database.withTransaction(logger: logger) { connection in
            let found = try await Self.lock(batch.map(\.booking), on: connection, logger: logger)
            let checked = batch.map { checkout in
                Self.refusal(found[checkout.booking], of: checkout).map { chargeable -> (Int64, String)? in
                    guard chargeable, let hold = found[checkout.booking] else { return nil }
                    return (hold.total, hold.currency)
                }
            }
            let attempts = zip(batch, checked).compactMap { checkout, result in
                (try? result.get())?.flatMap { amount in (checkout, amount) }
            }
            if !attempts.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO payment_attempts (id, booking_id, gateway_key, amount_minor, currency, card_brand, card_last4,
                                                  status, created_at, updated_at)
                    SELECT id, booking, gateway_key, amount, currency, brand, last4, 'pending', created_at, created_at
                    FROM unnest(\(attempts.map { UUID.now($0.0.now) })::uuid[], \(attempts.map(\.0.booking))::uuid[],
                                \(attempts.map(\.0.gatewayKey))::text[], \(attempts.map(\.1.0))::int8[],
                                \(attempts.map(\.1.1))::text[], \(attempts.map(\.0.card.brand))::text[],
                                \(attempts.map(\.0.card.last4))::text[], \(attempts.map(\.0.now))::timestamptz[])
                        AS a(id, booking, gateway_key, amount, currency, brand, last4, created_at)
                    ON CONFLICT (gateway_key) DO NOTHING
                    """, logger: logger)
            }
            return checked
        }

        // 2. Charge while holding the bookings' row locks: a concurrent checkout of one of them waits.
        let toCharge = batch.indices.filter { index in
            if case .success(.some) = checked[index] { return true }
            return false
        }
        guard !toCharge.isEmpty else { return checked.map { $0.map { _ in () } } }
        let charged: [Int: Result<Void, DomainError>] = try await database.withTransaction(logger: logger) { [gateway] connection in
            let found = try await Self.lock(toCharge.map { batch[$0].booking }, on: connection, logger: logger)
            var results: [Int: Result<Void, DomainError>] = [:]
            var charging: [Int: (Int64, String)] = [:]
            for index in toCharge {
                guard let hold = found[batch[index].booking] else {
                    results[index] = .failure(.notFound("Booking"))
                    continue
                }
                switch hold.status {
                case .paid: results[index] = .success(())
                case .held: charging[index] = (hold.total, hold.currency)
                default: results[index] = .failure(.conflict("This booking is \(hold.status.rawValue).", code: .bookingNotHeld))
                }
            }
            let outcomes = await withTaskGroup(of: (Int, ChargeOutcome).self) { group in
                for (index, amount) in charging {
                    group.addTask { (index, await Self.charge(batch[index], amount: amount, gateway: gateway)) }
                }
                return await group.reduce(into: [Int: ChargeOutcome]()) { $0[$1.0] = $1.1 }
            }
            var paid: [(booking: UUID, chargeReference: String, gatewayKey: String)] = []
            for index in charging.keys.sorted() {
                let outcome = outcomes[index]!
                if case .succeeded(let reference) = outcome {
                    paid.append((batch[index].booking, reference, batch[index].gatewayKey))
                    results[index] = .success(())
                } else if let refusal = try await Self.settleRefusal(outcome, of: batch[index], on: connection, logger: logger) {
                    results[index] = .failure(refusal)
                }
            }
            try await Self.complete(paid, on: connection, now: batch.map(\.now).max()!, logger: logger)
            return results
        }
        return batch.indices.map { index in
            charged[index] ?? checked[index].map { _ in () }
        }
    }

    /// Marks a held booking paid, issues its tickets, records the charge, queues the confirmation.
    static func complete(
        booking: UUID, chargeReference: String, gatewayKey: String, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        try await complete([(booking, chargeReference, gatewayKey)], on: connection, now: now, logger: logger)
    }

    /// Marks held bookings paid, issues their tickets, records their charges and queues their
    /// confirmations: one statement each, for all of them.
    static func complete(
        _ paid: [(booking: UUID, chargeReference: String, gatewayKey: String)], on connection: PostgresConnection, now: Date,
        logger: Logger
    ) async throws {
        guard !paid.isEmpty else { return }
        let rows = try await connection.query(
            """
            UPDATE bookings b SET status = 'paid', paid_at = \(now), closed_at = NULL, updated_at = \(now)
            FROM events e WHERE b.id = ANY(\(paid.map(\.booking))) AND e.id = b.event_id
            RETURNING b.id, b.user_id, e.organizer_id, b.total_minor, b.currency, e.title
            """, logger: logger)
        var marked: [UUID: (user: UUID, organizer: UUID, total: Int64, currency: String, title: String)] = [:]
        for try await (id, user, organizer, total, currency, title) in rows.decode((UUID, UUID, UUID, Int64, String, String).self) {
            marked[id] = (user, organizer, total, currency, title)
        }
        let bookings = try paid.map { item in
            guard let booking = marked[item.booking] else { throw DomainError.notFound("Booking") }
            return (item: item, booking: booking)
        }
        let tickets = try await TicketRepository.issue(bookings: paid.map(\.booking), on: connection, now: now, logger: logger)
        try await connection.query(
            """
            WITH paid AS (
                SELECT * FROM unnest(\(bookings.map { _ in UUID.now(now) })::uuid[], \(bookings.map(\.item.booking))::uuid[],
                                     \(bookings.map(\.booking.user))::uuid[], \(bookings.map(\.booking.organizer))::uuid[],
                                     \(bookings.map(\.booking.total))::int8[], \(bookings.map(\.booking.currency))::text[],
                                     \(bookings.map(\.item.chargeReference))::text[], \(bookings.map(\.item.gatewayKey))::text[])
                    AS p(id, booking, user_id, organizer, amount, currency, reference, gateway_key)
            ), charge AS (
                INSERT INTO payment_transactions (id, booking_id, user_id, organizer_id, kind, amount_minor, currency,
                                                  gateway_reference, created_at)
                SELECT id, booking, user_id, organizer, 'charge', amount, currency, reference, \(now) FROM paid WHERE amount > 0
            )
            UPDATE payment_attempts a SET status = 'succeeded', gateway_reference = p.reference, updated_at = \(now)
            FROM paid p WHERE a.gateway_key = p.gateway_key
            """, logger: logger)
        try await NotificationOutbox.enqueue(
            .bookingConfirmed,
            bookings.map { item, booking in
                let lines = (tickets[item.booking] ?? []).sorted { $0.id.uuidString < $1.id.uuidString }.map { ticket in
                    "Ticket \(ticket.id.lowercasedText):\n\(ticket.payload)"
                }
                let count = lines.count
                return NotificationOutbox.Message(
                    subject: "Your tickets for \(booking.title)",
                    body: "Your booking is confirmed: \(count) ticket\(count == 1 ? "" : "s") for \(booking.title).\n"
                        + "Show the QR codes in your wallet at the door. Ticket codes:\n\n" + lines.joined(separator: "\n\n"),
                    booking: item.booking, users: [booking.user])
            },
            on: connection, now: now, logger: logger)
    }
}
