import Foundation
import Logging
import PostgresNIO

/// How many attempts a key may make in a sliding window.
public struct RateLimitPolicy: Sendable {
    public var attempts: Int
    public var window: TimeInterval

    public init(attempts: Int, window: TimeInterval) {
        self.attempts = attempts
        self.window = window
    }

    /// 5 attempts per minute: the auth endpoints' limit.
    public static let authentication = RateLimitPolicy(attempts: 5, window: 60)
}

/// Limits attempts per key (a client address, an account) in a sliding window.
/// The counts live in PostgreSQL, so the limit holds across every server replica;
/// per-key advisory locks make check-and-record atomic.
struct RateLimiter: Sendable {
    let database: Database
    let policy: RateLimitPolicy

    /// Records an attempt under every key, or throws 429 with `Retry-After` when any
    /// key is at its limit (a refused attempt is not recorded).
    func attempt(keys: [String], logger: Logger) async throws {
        let keys = Array(Set(keys)).sorted()  // a fixed lock order: no deadlock between replicas
        let window = policy.window
        let limit = policy.attempts
        let waitSeconds: Int? = try await database.withTransaction(logger: logger) { connection in
            var longestWait: Double?
            for key in keys {
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
                try await connection.query(
                    """
                    DELETE FROM auth_attempts
                    WHERE key = \(key) AND attempted_at <= clock_timestamp() - make_interval(secs => \(window))
                    """, logger: logger)
                let rows = try await connection.query(
                    """
                    SELECT count(*)::int,
                           coalesce(extract(epoch FROM min(attempted_at) + make_interval(secs => \(window))
                                                        - clock_timestamp())::float8, 0)
                    FROM auth_attempts WHERE key = \(key)
                    """, logger: logger)
                for try await (count, wait) in rows.decode((Int, Double).self) where count >= limit {
                    longestWait = max(longestWait ?? 0, wait)
                }
            }
            if let longestWait { return max(1, Int(longestWait.rounded(.up))) }
            for key in keys {
                try await connection.query("INSERT INTO auth_attempts (key) VALUES (\(key))", logger: logger)
            }
            return nil
        }
        if let waitSeconds { throw APIError.rateLimited(retryAfter: waitSeconds) }
    }
}
