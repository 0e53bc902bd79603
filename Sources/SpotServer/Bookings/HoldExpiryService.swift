import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Returns the seats of unpaid holds whose time is up. Before expiring a hold with a
/// payment attempt whose answer was lost, it asks the gateway: if the card was charged,
/// the booking is completed instead — the buyer paid, so they get their tickets.
public struct HoldExpiryService: Service {
    let database: Database
    let gateway: any PaymentGateway
    let interval: Duration
    let clock: ServerClock
    let logger: Logger

    public func run() async throws {
        try await runLoop(idle: interval, logger: logger) {
            // Work through the backlog, then rest.
            let handled = try await expireOnce()
            return handled == 50 ? handled : 0
        }
    }

    /// Expires (or completes) up to 50 overdue holds; returns how many it handled.
    @discardableResult
    func expireOnce() async throws -> Int {
        let now = clock.now()
        return try await database.withTransaction(logger: logger) { [gateway, logger] connection in
            let rows = try await connection.query(
                """
                SELECT id FROM bookings WHERE status = 'held' AND expires_at <= \(now)
                ORDER BY expires_at LIMIT 50 FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var overdue: [UUID] = []
            for try await id in rows.decode(UUID.self) { overdue.append(id) }
            for booking in overdue {
                let attempts = try await connection.query(
                    "SELECT gateway_key FROM payment_attempts WHERE booking_id = \(booking) AND status = 'pending'",
                    logger: logger)
                var charged: (String, String)?
                for try await key in attempts.decode(String.self) {
                    if case .succeeded(let reference)? = try await gateway.charge(forKey: key) { charged = (key, reference) }
                }
                if let (key, reference) = charged {
                    try await CheckoutService.complete(
                        booking: booking, chargeReference: reference, gatewayKey: key, on: connection, now: now, logger: logger)
                    logger.info("hold completed from a charge whose response was lost", metadata: ["booking": "\(booking)"])
                } else {
                    try await BookingRepository.release(booking: booking, status: .expired, on: connection, now: now, logger: logger)
                }
            }
            return overdue.count
        }
    }
}
