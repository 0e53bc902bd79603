import Foundation
import Logging
import PostgresNIO
import SpotCore

/// Refunds paid bookings, fully or ticket by ticket: the gateway refund, the revocation
/// of the refunded tickets (into the revocation feed), the seats back to the pool, the
/// refund transaction and the buyer's notification — all under the booking's row lock,
/// in one transaction. The gateway call uses the caller's idempotency key, so a retry
/// after a crash refunds once.
struct RefundService: Sendable {
    let database: Database
    let gateway: any PaymentGateway

    struct Outcome: Codable, Sendable {
        let amountMinor: Int64
        let currency: String
        let ticketIDs: [String]
        let reference: String
    }

    /// Refunds `tickets` of the booking (all its valid tickets when nil).
    func refund(
        booking: UUID, tickets requested: [UUID]?, reason: RevocationReason, gatewayKey: String, now: Date, logger: Logger
    ) async throws -> Outcome {
        try await database.withTransaction(logger: logger) { [gateway] connection in
            let status = try await BookingRepository.lock(booking, user: nil, on: connection, logger: logger)
            guard status == .paid else {
                throw DomainError.conflict("Only a paid booking can be refunded (this one is \(status.rawValue)).", code: .bookingNotPaid)
            }
            let rows = try await connection.query(
                """
                SELECT t.id, t.price_minor, t.ticket_type_id, b.currency, b.user_id, e.organizer_id, e.title, p.gateway_reference
                FROM tickets t JOIN bookings b ON b.id = t.booking_id JOIN events e ON e.id = b.event_id
                JOIN payment_transactions p ON p.booking_id = b.id AND p.kind = 'charge'
                WHERE t.booking_id = \(booking) AND t.status = 'valid'
                ORDER BY t.id
                """, logger: logger)
            var valid: [(id: UUID, price: Int64, type: UUID)] = []
            var context: (currency: String, user: UUID, organizer: UUID, title: String, charge: String)?
            for try await (id, price, type, currency, user, organizer, title, charge) in rows.decode(
                (UUID, Int64, UUID, String, UUID, UUID, String, String).self)
            {
                valid.append((id, price, type))
                context = (currency, user, organizer, title, charge)
            }
            let chosen = requested.map { ids in valid.filter { ids.contains($0.id) } } ?? valid
            if let requested, Set(requested) != Set(chosen.map(\.id)) {
                throw DomainError.validation("ticket_ids", "every ticket must be a valid, unrefunded ticket of this booking")
            }
            guard !chosen.isEmpty, let context else {
                throw DomainError.conflict("Nothing left to refund in this booking.", code: .nothingToRefund)
            }
            guard let amount = chosen.map(\.price).checkedSum() else {
                throw DomainError.validation("ticket_ids", "the refund is too large")
            }
            var reference = "free"
            if amount > 0 {
                do {
                    reference = try await gateway.refund(
                        RefundRequest(
                            idempotencyKey: gatewayKey, chargeReference: context.charge,
                            reference: "booking:\(booking.lowercasedText) tickets:"
                                + chosen.map(\.id.lowercasedText).sorted().joined(separator: ","),
                            amountMinor: amount, currency: context.currency))
                } catch GatewayError.idempotencyKeyReused {
                    throw DomainError.idempotencyKeyReused
                } catch {
                    logger.error("gateway refund failed", metadata: ["error": "\(error)"])
                    throw DomainError(
                        .processorFailed, .refundFailed,
                        "The payment processor did not complete the refund; nothing changed. Try again.")
                }
            }
            try await TicketRepository.revoke(chosen.map(\.id), reason: reason, on: connection, now: now, logger: logger)
            let types = Dictionary(grouping: chosen, by: \.type).map { ($0.key, $0.value.count) }.sorted { $0.0.uuidString < $1.0.uuidString }
            for (type, count) in types {
                try await connection.query(
                    "UPDATE ticket_types SET reserved = reserved - \(count), updated_at = \(now) WHERE id = \(type)",
                    logger: logger)
            }
            let fullyRefunded = chosen.count == valid.count
            try await connection.query(
                """
                UPDATE bookings SET refunded_minor = refunded_minor + \(amount), updated_at = \(now),
                    status = CASE WHEN \(fullyRefunded) THEN 'refunded' ELSE status END,
                    closed_at = CASE WHEN \(fullyRefunded) THEN \(now) ELSE closed_at END
                WHERE id = \(booking)
                """, logger: logger)
            if amount > 0 {
                try await connection.query(
                    """
                    INSERT INTO payment_transactions (id, booking_id, user_id, organizer_id, kind, amount_minor, currency,
                                                      gateway_reference, created_at)
                    VALUES (\(UUID.now(now)), \(booking), \(context.user), \(context.organizer), 'refund', \(amount),
                            \(context.currency), \(reference), \(now))
                    """, logger: logger)
            }
            let money = Self.format(amount, context.currency)
            try await NotificationOutbox.enqueue(
                .refund, users: [context.user], subject: "Refund for \(context.title)",
                body: (reason == .cancelled ? "\(context.title) has been cancelled. " : "")
                    + "We refunded \(money) for \(chosen.count) ticket\(chosen.count == 1 ? "" : "s"); "
                    + "\(chosen.count == 1 ? "it no longer admits" : "they no longer admit").",
                on: connection, now: now, logger: logger)
            return Outcome(
                amountMinor: amount, currency: context.currency, ticketIDs: chosen.map { $0.id.uuidString.lowercased() },
                reference: reference)
        }
    }

    /// `12.50 EUR` from minor units (two decimals; good enough for a message).
    static func format(_ minor: Int64, _ currency: String) -> String {
        String(format: "%lld.%02lld %@", minor / 100, abs(minor % 100), currency)
    }
}
