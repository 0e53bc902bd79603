import Foundation
import Logging
import PostgresNIO
import Prometheus

/// The server's handle on PostgreSQL: a `PostgresClient` (run as a service) plus
/// the pool-usage gauges `/metrics` reports. Repositories hold one and pass their logger.
public struct Database: Sendable {
    public let client: PostgresClient
    let usage: PoolUsage
    /// How long one operation (lease, statements, commit) may take before the request gets a 503.
    let deadline: Duration

    public init(
        client: PostgresClient, maximumConnections: Int, registry: PrometheusCollectorRegistry,
        deadline: Duration = .seconds(10)
    ) {
        self.client = client
        self.usage = PoolUsage(registry: registry, maximumConnections: maximumConnections)
        self.deadline = deadline
    }

    /// Runs `body` on one leased connection. When the database does not answer within
    /// the deadline (it is down, or every connection is stuck) the caller gets a
    /// 503 `database_unavailable` instead of waiting forever.
    func withConnection<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withinDeadline(logger: logger) { [client] in try await client.withConnection { try await body($0) } }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    /// The error `body` threw is rethrown as is (not wrapped), so typed API errors survive.
    package func withTransaction<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(logger: logger) { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                if let inner = error.closureError { throw inner }
                throw error
            }
        }
    }

    /// Runs one statement outside an explicit transaction.
    @discardableResult
    package func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await withinDeadline(logger: logger) { [client] in try await client.query(query, logger: logger) }
    }

    /// Runs `body` counted as a leased connection, and answers 503 `database_unavailable` once the deadline passes.
    private func withinDeadline<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        usage.leased()
        defer { usage.returned() }
        do {
            return try await withTimeout(deadline, body)
        } catch is DeadlineExceeded {
            logger.error("database operation timed out", metadata: ["deadline": "\(deadline)"])
            throw APIError.databaseUnavailable
        }
    }
}

extension Database {
    /// Runs a prepared statement outside an explicit transaction (each connection prepares it once).
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, logger: Logger
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        try await withinDeadline(logger: logger) { [client] in
            var rows: [Statement.Row] = []
            for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }
}

extension PostgresConnection {
    /// Runs `query` and tells whether it returned any row (e.g. an `UPDATE … RETURNING`
    /// that matched, or an existence check).
    func returnsRow(_ query: PostgresQuery, logger: Logger) async throws -> Bool {
        for try await _ in try await self.query(query, logger: logger) { return true }
        return false
    }
}

extension PostgresClient {
    /// Runs `query` and tells whether it returned any row.
    func returnsRow(_ query: PostgresQuery, logger: Logger) async throws -> Bool {
        for try await _ in try await self.query(query, logger: logger) { return true }
        return false
    }
}

/// Runs `body`, or throws ``DeadlineExceeded`` once `limit` passes — at once, without
/// waiting for `body` to notice its cancellation (a connection lease against a dead
/// database may not), so a request's deadline holds whatever the pool does.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            let work = Task {
                do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if outcome.finish(.failure(DeadlineExceeded())) { work.cancel() }
            }
            outcome.onFinish {
                timer.cancel()
                work.cancel()
            }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// Resumes a continuation with whichever outcome comes first; later ones are dropped.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var done = false
    private var cleanup: (@Sendable () -> Void)?

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let pending: Result<T, any Error>? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let pending { continuation.resume(with: pending) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let finished = lock.withLock {
            if done { return true }
            self.cleanup = cleanup
            return false
        }
        if finished { cleanup() }
    }

    /// Delivers `result` if nothing was delivered yet; returns whether it was.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        var continuation: CheckedContinuation<T, any Error>?
        var cleanup: (@Sendable () -> Void)?
        let first = lock.withLock {
            guard !done else { return false }
            done = true
            if self.continuation == nil { early = result }
            continuation = self.continuation
            cleanup = self.cleanup
            self.continuation = nil
            self.cleanup = nil
            return true
        }
        guard first else { return false }
        continuation?.resume(with: result)
        cleanup?()
        return true
    }
}

/// An operation ran past its deadline.
struct DeadlineExceeded: Error {}

/// Connections leased from the pool right now, and the configured maximum.
struct PoolUsage: Sendable {
    private let inUse: Gauge

    init(registry: PrometheusCollectorRegistry, maximumConnections: Int) {
        inUse = registry.makeGauge(
            name: "spot_db_connections_in_use", help: "PostgreSQL connections leased from the pool")
        registry.makeGauge(name: "spot_db_connections_max", help: "Maximum PostgreSQL connections in the pool")
            .set(to: Double(maximumConnections))
    }

    func leased() { inUse.increment() }
    func returned() { inUse.decrement() }
}
