import Logging
import PostgresNIO
import Prometheus

/// The server's handle on PostgreSQL: a `PostgresClient` (run as a service) plus
/// the pool-usage gauges `/metrics` reports. Repositories hold one and pass their logger.
public struct Database: Sendable {
    public let client: PostgresClient
    let usage: PoolUsage

    public init(client: PostgresClient, maximumConnections: Int, registry: PrometheusCollectorRegistry) {
        self.client = client
        self.usage = PoolUsage(registry: registry, maximumConnections: maximumConnections)
    }

    /// Runs `body` on one leased connection.
    func withConnection<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        usage.leased()
        defer { usage.returned() }
        return try await client.withConnection { try await body($0) }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    /// The error `body` threw is rethrown as is (not wrapped), so typed API errors survive.
    func withTransaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
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
    func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        usage.leased()
        defer { usage.returned() }
        return try await client.query(query, logger: logger)
    }
}

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
