import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Paying for a hold: charge the card, then — in one transaction — mark the booking paid,
/// issue its tickets, record the charge and queue the confirmation. A declined card
/// closes the hold and gives the seats back; a timeout leaves the hold for a retry with
/// the same key (the gateway never charges a key twice).
struct CheckoutService: Sendable {
    let database: Database
    let gateway: any PaymentGateway

    func checkout(
        booking: UUID, user: UUID, card: PaymentCard, gatewayKey: String, now: Date, logger: Logger
    ) async throws {
        // 1. Record the attempt before calling out, so its key survives any crash that follows.
        let amount: (Int64, String) = try await database.withTransaction(logger: logger) { connection in
            var found: (Booking.Status, Int64, String, Date?)?
            for try await row in try await connection.execute(Prepared<LockHold>("\(booking)\(user)"), logger: logger) {
                found = try row.decode((Booking.Status, Int64, String, Date?).self)
            }
            guard let (status, total, currency, expires) = found else { throw DomainError.notFound("Booking") }
            if status == .paid { return (total, currency) }
            guard status == .held else {
                throw DomainError.conflict("This booking is \(status.rawValue); start a new one.", code: .bookingNotHeld)
            }
            if let expires, expires <= now {
                throw DomainError.conflict("The hold has expired; start a new booking.", code: .bookingExpired)
            }
            _ = try await connection.execute(
                Prepared<RecordAttempt>(
                    "\(UUID.now(now))\(booking)\(gatewayKey)\(total)\(currency)\(card.brand)\(card.last4)\(now)"),
                logger: logger)
            return (total, currency)
        }

        // 2. Charge while holding the booking's row lock: a concurrent checkout of the same booking waits.
        enum Outcome { case paid, declined(String), processorError }
        let outcome: Outcome = try await database.withTransaction(logger: logger) { [gateway] connection in
            let status = try await BookingRepository.lock(booking, user: user, on: connection, logger: logger)
            if status == .paid { return .paid }
            guard status == .held else { throw DomainError.conflict("This booking is \(status.rawValue).", code: .bookingNotHeld) }
            let result: ChargeResult
            do {
                result = try await gateway.charge(
                    ChargeRequest(
                        idempotencyKey: gatewayKey, reference: "booking:\(booking.lowercasedText)", amountMinor: amount.0,
                        currency: amount.1, card: card))
            } catch GatewayError.idempotencyKeyReused {
                throw DomainError.idempotencyKeyReused
            } catch GatewayError.timeout {
                throw DomainError(
                    .processorTimeout, .paymentTimeout,
                    "The payment processor did not answer. Retry with the same Idempotency-Key: you will not be charged twice.")
            } catch {
                try await connection.query(
                    """
                    UPDATE payment_attempts SET status = 'failed', failure_code = 'processor_error', updated_at = \(now)
                    WHERE gateway_key = \(gatewayKey)
                    """, logger: logger)
                return .processorError
            }
            switch result {
            case .succeeded(let reference):
                try await Self.complete(
                    booking: booking, chargeReference: reference, gatewayKey: gatewayKey, on: connection, now: now, logger: logger)
                return .paid
            case .declined(let code):
                try await connection.query(
                    """
                    UPDATE payment_attempts SET status = 'declined', failure_code = \(code), updated_at = \(now)
                    WHERE gateway_key = \(gatewayKey)
                    """, logger: logger)
                try await BookingRepository.release(booking: booking, status: .cancelled, on: connection, now: now, logger: logger)
                return .declined(code)
            }
        }
        switch outcome {
        case .paid:
            return
        case .declined(let code):
            throw DomainError(
                .paymentDeclined, .paymentDeclined,
                code == "insufficient_funds"
                    ? "The card was declined for insufficient funds. The seats were released; start a new booking to try another card."
                    : "The card was declined. The seats were released; start a new booking to try another card.",
                fields: ["decline_code": code])
        case .processorError:
            throw DomainError(
                .processorFailed, .paymentProcessorError,
                "The payment processor failed; nothing was charged. Try again (the hold is kept).")
        }
    }

    /// Marks a held booking paid, issues its tickets, records the charge, queues the confirmation.
    static func complete(
        booking: UUID, chargeReference: String, gatewayKey: String, on connection: PostgresConnection, now: Date, logger: Logger
    ) async throws {
        var found: (UUID, UUID, Int64, String, String)?
        for try await row in try await connection.execute(Prepared<MarkPaid>("\(booking)\(now)"), logger: logger) {
            found = try row.decode((UUID, UUID, Int64, String, String).self)
        }
        guard let (user, organizer, total, currency, title) = found else { throw DomainError.notFound("Booking") }
        let tickets = try await TicketRepository.issue(booking: booking, on: connection, now: now, logger: logger)
        _ = try await connection.execute(
            Prepared<RecordCharge>(
                "\(UUID.now(now))\(booking)\(user)\(organizer)\(total)\(currency)\(chargeReference)\(now)\(gatewayKey)"),
            logger: logger)
        let lines = tickets.sorted { $0.id.uuidString < $1.id.uuidString }.map { ticket in
            "Ticket \(ticket.id.lowercasedText):\n\(ticket.payload)"
        }
        try await NotificationOutbox.enqueue(
            .bookingConfirmed, users: [user], subject: "Your tickets for \(title)",
            body: "Your booking is confirmed: \(tickets.count) ticket\(tickets.count == 1 ? "" : "s") for \(title).\n"
                + "Show the QR codes in your wallet at the door. Ticket codes:\n\n" + lines.joined(separator: "\n\n"),
            booking: booking, on: connection, now: now, logger: logger)
    }

    /// A buyer's held booking locked for checkout, by booking `$1` and buyer `$2`.
    private enum LockHold: PreparedSQL {
        static let text = """
            SELECT status, total_minor, currency, expires_at FROM bookings WHERE id = $1 AND user_id = $2 FOR UPDATE
            """
    }

    /// The attempt recorded before the card is charged: id, booking, gateway key, amount, currency,
    /// card brand and last four digits, time.
    private enum RecordAttempt: PreparedSQL {
        static let text = """
            INSERT INTO payment_attempts (id, booking_id, gateway_key, amount_minor, currency, card_brand, card_last4,
                                          status, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)
            ON CONFLICT (gateway_key) DO NOTHING
            """
    }

    /// Booking `$1` paid at `$2`, with what the rest of checkout needs.
    private enum MarkPaid: PreparedSQL {
        static let text = """
            UPDATE bookings b SET status = 'paid', paid_at = $2, closed_at = NULL, updated_at = $2
            FROM events e WHERE b.id = $1 AND e.id = b.event_id
            RETURNING b.user_id, e.organizer_id, b.total_minor, b.currency, e.title
            """
    }

    /// The charge recorded (unless free) and its attempt marked succeeded: id, booking, buyer,
    /// organizer, amount, currency, the processor's reference, time, gateway key.
    private enum RecordCharge: PreparedSQL {
        static let text = """
            WITH charge AS (
                INSERT INTO payment_transactions (id, booking_id, user_id, organizer_id, kind, amount_minor, currency,
                                                  gateway_reference, created_at)
                SELECT $1, $2, $3, $4, 'charge', $5, $6, $7, $8 WHERE $5 > 0
            )
            UPDATE payment_attempts SET status = 'succeeded', gateway_reference = $7, updated_at = $8 WHERE gateway_key = $9
            """
        static let parameterTypes: [PostgresDataType] = [
            .uuid, .uuid, .uuid, .uuid, .int8, .text, .text, .timestamptz, .text,
        ]
    }
}
