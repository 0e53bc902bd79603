import Foundation
import Logging
import PostgresNIO

/// A table of work items claimed with a lease: `FOR UPDATE SKIP LOCKED` so any number of
/// workers on any number of replicas never claim one item together; a claim expires after
/// the policy's lease (a worker that died mid-way gives its items back); failures are
/// retried with exponential backoff and dead after the last attempt.
/// Used by the notification outbox and the job queue, whose tables share these columns
/// (`id`, `status`, `attempts`, `next_attempt_at`, `locked_until`, `last_error`).
struct LeasedQueue: Sendable {
    /// The table (a constant of this file's callers, never user input).
    let table: String
    /// Status of items waiting for their first or next attempt.
    let waiting: [String]
    /// Status while claimed.
    let working: String
    /// Status of an item to retry after a failure.
    let retry: String

    static let notifications = LeasedQueue(table: "notifications", waiting: ["queued", "failed"], working: "sending", retry: "failed")
    static let jobs = LeasedQueue(table: "jobs", waiting: ["queued"], working: "running", retry: "queued")
    static let webhooks = LeasedQueue(
        table: "webhook_deliveries", waiting: ["queued", "failed"], working: "sending", retry: "failed")

    /// Claims up to a batch of due items and returns `columns` of each (after the attempt count was raised).
    func claim(
        columns: String, policy: WorkerPolicy, now: Date, database: Database, logger: Logger
    ) async throws -> PostgresRowSequence {
        let waitingList = waiting.map { "'\($0)'" }.joined(separator: ", ")
        return try await database.query(
            """
            UPDATE \(unescaped: table) item SET status = \(working), attempts = item.attempts + 1,
                locked_until = \(now.addingTimeInterval(policy.lease))
            FROM (SELECT id FROM \(unescaped: table)
                  WHERE (status IN (\(unescaped: waitingList)) AND next_attempt_at <= \(now))
                     OR (status = \(working) AND locked_until <= \(now))
                  ORDER BY next_attempt_at LIMIT \(policy.batchSize) FOR UPDATE SKIP LOCKED) due
            WHERE item.id = due.id
            RETURNING \(unescaped: columns)
            """, logger: logger)
    }

    /// Records a failed attempt: retried after the backoff, or dead — after the last attempt, or
    /// at once when the error is a permanent ``DeliveryFailure``. Returns whether it is dead.
    @discardableResult
    func fail(
        _ id: UUID, attempts: Int, error: any Error, policy: WorkerPolicy, now: Date, database: Database, logger: Logger
    ) async throws -> Bool {
        let dead = attempts >= policy.maximumAttempts || (error as? any DeliveryFailure)?.isPermanent == true
        try await database.query(
            """
            UPDATE \(unescaped: table) SET status = \(dead ? "dead" : retry), last_error = \(String(describing: error)),
                next_attempt_at = \(now.addingTimeInterval(policy.delay(afterAttempt: attempts))), locked_until = NULL
            WHERE id = \(id) AND status = \(working)
            """, logger: logger)
        return dead
    }
}
