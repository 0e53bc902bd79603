import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Drains the notification outbox through its ``LeasedQueue``: several dispatchers — on
/// several server replicas — never claim the same notification; each is delivered outside
/// any transaction, then recorded `sent`, or `failed` with exponential backoff, or `dead`
/// after the last attempt. A dispatcher that dies mid-round leaves its rows to be
/// reclaimed when their lease ends, and the provider recognises the notification id.
public struct NotificationDispatcher: Service {
    let database: Database
    let providers: [NotificationChannel: any NotificationProvider]
    let policy: WorkerPolicy
    let clock: ServerClock
    let logger: Logger

    public func run() async throws {
        try await runLoop(idle: policy.idleInterval, logger: logger) { try await dispatchOnce() }
    }

    /// Claims and delivers one batch; returns how many notifications it handled.
    @discardableResult
    func dispatchOnce() async throws -> Int {
        let rows = try await LeasedQueue.notifications.claim(
            columns: "item.id, item.channel, item.recipient, item.subject, item.body, item.attempts, item.booking_id",
            policy: policy, now: clock.now(), database: database, logger: logger)
        var claimed: [(UUID, String, String, String, String, Int, UUID?)] = []
        for try await row in rows.decode((UUID, String, String, String, String, Int, UUID?).self) { claimed.append(row) }
        for (id, channelName, recipient, subject, body, attempts, booking) in claimed {
            do {
                guard let channel = NotificationChannel(rawValue: channelName), let provider = providers[channel] else {
                    throw SimulationProvider.Refused(description: "no provider for channel \(channelName)")
                }
                let tickets = channel == .email ? try await tickets(of: booking) : []
                let messageID = try await provider.deliver(
                    OutgoingNotification(
                        id: id, channel: channel, recipient: recipient, subject: subject, body: body, tickets: tickets))
                try await database.query(
                    """
                    UPDATE notifications SET status = 'sent', sent_at = \(clock.now()), provider_message_id = \(messageID),
                        locked_until = NULL, last_error = NULL
                    WHERE id = \(id) AND status = 'sending'
                    """, logger: logger)
            } catch {
                let dead = try await LeasedQueue.notifications.fail(
                    id, attempts: attempts, error: error, policy: policy, now: clock.now(), database: database, logger: logger)
                logger.warning(
                    "notification delivery failed",
                    metadata: ["notification": "\(id)", "attempt": "\(attempts)", "dead": "\(dead)", "error": "\(error)"])
            }
        }
        return claimed.count
    }

    /// The booking's valid tickets, as an email shows them.
    private func tickets(of booking: UUID?) async throws -> [OutgoingNotification.TicketCode] {
        guard let booking else { return [] }
        let rows = try await database.query(
            "SELECT id, payload FROM tickets WHERE booking_id = \(booking) AND status = 'valid' ORDER BY id", logger: logger)
        var tickets: [OutgoingNotification.TicketCode] = []
        for try await (id, payload) in rows.decode((UUID, String).self) { tickets.append(.init(id: id, payload: payload)) }
        return tickets
    }
}
