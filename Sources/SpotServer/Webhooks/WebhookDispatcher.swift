import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Drains the webhook deliveries through their ``LeasedQueue`` as ``NotificationDispatcher``
/// drains notifications: on any number of replicas, each delivery claimed by one, sent outside
/// any transaction (``WebhookSender``), then recorded sent, or failed with exponential backoff,
/// or dead after the last attempt (at once for 410 Gone or a target no longer allowed).
struct WebhookDispatcher: Service {
    let database: Database
    let sender: WebhookSender
    let policy: WorkerPolicy
    let clock: ServerClock
    let logger: Logger

    func run() async throws {
        try await runLoop(idle: policy.idleInterval, logger: logger) { try await dispatchOnce() }
    }

    /// Claims and sends one batch; returns how many deliveries it handled.
    @discardableResult
    func dispatchOnce() async throws -> Int {
        let rows = try await LeasedQueue.webhooks.claim(
            columns: """
                item.id, item.type, item.payload, item.attempts,
                (SELECT url FROM webhook_endpoints w WHERE w.id = item.endpoint_id),
                (SELECT secret FROM webhook_endpoints w WHERE w.id = item.endpoint_id)
                """,
            policy: policy, now: clock.now(), database: database, logger: logger)
        var claimed: [(UUID, WebhookEventType, String, Int, String, String)] = []
        for try await row in rows.decode((UUID, WebhookEventType, String, Int, String, String).self) { claimed.append(row) }
        for (id, type, payload, attempts, url, secret) in claimed {
            do {
                let status = try await sender.send(payload, type: type, delivery: id, to: url, secret: secret, now: clock.now())
                try await database.query(
                    """
                    UPDATE webhook_deliveries SET status = 'sent', delivered_at = \(clock.now()), response_status = \(status),
                        locked_until = NULL, last_error = NULL
                    WHERE id = \(id) AND status = 'sending'
                    """, logger: logger)
            } catch {
                if let failure = error as? WebhookSender.Failure, let status = failure.status {
                    try await database.query(
                        "UPDATE webhook_deliveries SET response_status = \(status) WHERE id = \(id)", logger: logger)
                }
                let dead = try await LeasedQueue.webhooks.fail(
                    id, attempts: attempts, error: error, policy: policy, now: clock.now(), database: database, logger: logger)
                logger.warning(
                    "webhook delivery failed",
                    metadata: ["delivery": "\(id)", "attempt": "\(attempts)", "dead": "\(dead)", "error": "\(error)"])
            }
        }
        return claimed.count
    }
}
