import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Drains the notification outbox. Each round claims due rows with
/// `FOR UPDATE SKIP LOCKED` and a lease (status `sending`), so several dispatchers — on
/// several server replicas — never claim the same notification; delivers them outside
/// the transaction; then records `sent`, or `failed` with an exponential backoff, or
/// `dead` after the last attempt. A dispatcher that dies mid-round leaves its rows to be
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
        let now = clock.now()
        let rows = try await database.query(
            """
            UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1,
                locked_until = \(now.addingTimeInterval(policy.lease))
            FROM (SELECT id FROM notifications
                  WHERE (status IN ('queued', 'failed') AND next_attempt_at <= \(now))
                     OR (status = 'sending' AND locked_until <= \(now))
                  ORDER BY next_attempt_at LIMIT \(policy.batchSize) FOR UPDATE SKIP LOCKED) due
            WHERE n.id = due.id
            RETURNING n.id, n.channel, n.recipient, n.subject, n.body, n.attempts
            """, logger: logger)
        var claimed: [(UUID, String, String, String, String, Int)] = []
        for try await row in rows.decode((UUID, String, String, String, String, Int).self) { claimed.append(row) }
        for (id, channelName, recipient, subject, body, attempts) in claimed {
            do {
                guard let channel = NotificationChannel(rawValue: channelName), let provider = providers[channel] else {
                    throw SimulationProvider.Refused(description: "no provider for channel \(channelName)")
                }
                let messageID = try await provider.deliver(
                    OutgoingNotification(id: id, channel: channel, recipient: recipient, subject: subject, body: body))
                try await database.query(
                    """
                    UPDATE notifications SET status = 'sent', sent_at = \(clock.now()), provider_message_id = \(messageID),
                        locked_until = NULL, last_error = NULL
                    WHERE id = \(id) AND status = 'sending'
                    """, logger: logger)
            } catch {
                let dead = attempts >= policy.maximumAttempts
                try await database.query(
                    """
                    UPDATE notifications SET status = \(dead ? "dead" : "failed"), last_error = \(String(describing: error)),
                        next_attempt_at = \(clock.now().addingTimeInterval(policy.delay(afterAttempt: attempts))),
                        locked_until = NULL
                    WHERE id = \(id) AND status = 'sending'
                    """, logger: logger)
                logger.warning(
                    "notification delivery failed",
                    metadata: ["notification": "\(id)", "attempt": "\(attempts)", "dead": "\(dead)", "error": "\(error)"])
            }
        }
        return claimed.count
    }
}
