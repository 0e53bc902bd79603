import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Background work that must survive crashes: rows in `jobs`, written in the same
/// transaction as the change that needs them, run by ``JobRunner``.
enum JobQueue {
    enum Kind: String, Sendable {
        /// Refund one paid booking of a cancelled event: `{"booking_id": …}`.
        case refundCancelledBooking = "refund_cancelled_booking"
    }

    static func enqueue(_ kind: Kind, payload: [String: String], on connection: PostgresConnection, now: Date, logger: Logger) async throws {
        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO jobs (id, kind, payload, status, next_attempt_at, created_at)
            VALUES (\(UUID.now(now)), \(kind.rawValue), \(json), 'queued', \(now), \(now))
            """, logger: logger)
    }
}

/// How a claim-and-retry worker paces itself.
public struct WorkerPolicy: Sendable {
    /// Rows claimed per round.
    public var batchSize: Int
    /// Attempts before a row is given up ("dead").
    public var maximumAttempts: Int
    /// First retry delay; doubles with each attempt.
    public var baseDelay: TimeInterval
    /// How long a claim lasts; a worker that dies mid-way releases its rows after it.
    public var lease: TimeInterval
    /// Pause between rounds when there was nothing to do.
    public var idleInterval: Duration

    public init(batchSize: Int = 50, maximumAttempts: Int = 6, baseDelay: TimeInterval = 5, lease: TimeInterval = 60,
                idleInterval: Duration = .seconds(1)) {
        self.batchSize = batchSize
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.lease = lease
        self.idleInterval = idleInterval
    }

    /// Exponential backoff: base × 2^(attempts − 1).
    func delay(afterAttempt attempts: Int) -> TimeInterval {
        baseDelay * pow(2, Double(max(0, attempts - 1)))
    }
}

/// Runs queued jobs from the ``LeasedQueue`` of the `jobs` table: any number of runners
/// on any number of replicas share it without running a job twice at once.
public struct JobRunner: Service {
    let database: Database
    let refunds: RefundService
    let policy: WorkerPolicy
    let clock: ServerClock
    let logger: Logger

    public func run() async throws {
        try await runLoop(idle: policy.idleInterval, logger: logger) { try await runOnce() }
    }

    /// Claims and runs one batch; returns how many jobs it ran.
    @discardableResult
    func runOnce() async throws -> Int {
        let rows = try await LeasedQueue.jobs.claim(
            columns: "item.id, item.kind, item.payload, item.attempts", policy: policy, now: clock.now(), database: database,
            logger: logger)
        var claimed: [(UUID, String, String, Int)] = []
        for try await row in rows.decode((UUID, String, String, Int).self) { claimed.append(row) }
        for (id, kind, payload, attempts) in claimed {
            do {
                try await perform(kind: kind, payload: payload, job: id)
                try await database.query(
                    "UPDATE jobs SET status = 'done', finished_at = \(clock.now()), locked_until = NULL WHERE id = \(id)",
                    logger: logger)
            } catch {
                logger.warning(
                    "job failed", metadata: ["job": "\(id)", "kind": "\(kind)", "attempt": "\(attempts)", "error": "\(error)"])
                try await LeasedQueue.jobs.fail(
                    id, attempts: attempts, error: error, policy: policy, now: clock.now(), database: database, logger: logger)
            }
        }
        return claimed.count
    }

    private func perform(kind: String, payload: String, job: UUID) async throws {
        let fields = try JSONDecoder().decode([String: String].self, from: Data(payload.utf8))
        switch JobQueue.Kind(rawValue: kind) {
        case .refundCancelledBooking:
            guard let booking = fields["booking_id"].flatMap(UUID.init(uuidString:)) else { throw JobError.badPayload(payload) }
            do {
                _ = try await refunds.refund(
                    booking: booking, tickets: nil, reason: .cancelled, gatewayKey: GatewayKey.cancellation(booking: booking),
                    now: clock.now(), logger: logger)
            } catch let error as DomainError where [.bookingNotPaid, .nothingToRefund].contains(error.code) {
                // Already refunded (a retry after a crash, or an organizer refund first): done.
            }
        case nil:
            throw JobError.unknownKind(kind)
        }
    }

    enum JobError: Error {
        case unknownKind(String)
        case badPayload(String)
    }
}

/// Repeats `round` until graceful shutdown, pausing after rounds that had nothing to do
/// or failed (e.g. while the database is down), and returns normally when shut down.
func runLoop(idle: Duration, logger: Logger, _ round: @escaping @Sendable () async throws -> Int) async throws {
    do {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var done = 0
                do {
                    done = try await round()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("background round failed", metadata: ["error": "\(error)"])
                }
                if done == 0 { try await Task.sleep(for: idle) }
            }
        }
    } catch is CancellationError {
        return
    }
}
