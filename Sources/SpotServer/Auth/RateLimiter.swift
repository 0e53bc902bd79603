import Foundation
import Logging
import PostgresNIO

/// How many attempts a key may make in a sliding window.
public struct RateLimitPolicy: Sendable {
    /// Failed sign-ins per address, and per account from one address, in `window`.
    public var attempts: Int
    public var window: TimeInterval
    /// Failed sign-ins per account from all addresses together, in `window`: a ceiling against
    /// guessing spread over many addresses. The window is short, so the owner signing in from a
    /// new address waits at most `window` however long the guessing goes on elsewhere.
    public var accountAttempts: Int

    public init(attempts: Int, window: TimeInterval, accountAttempts: Int? = nil) {
        self.attempts = attempts
        self.window = window
        self.accountAttempts = accountAttempts ?? attempts * 4
    }

    /// 5 failed attempts per minute per address and per account and address; 20 per account.
    public static let authentication = RateLimitPolicy(attempts: 5, window: 60)
}

/// Limits attempts per key (an address, an account) in a sliding window. The counts live in
/// PostgreSQL, so a limit holds across every server replica. An attempt is recorded *before*
/// the password is checked — per-key advisory locks make check-and-record atomic, so parallel
/// guesses cannot all slip under the limit — and forgiven (deleted) once it succeeds: only
/// failures count, and people signing in correctly from one office address never limit each other.
struct RateLimiter: Sendable {
    let database: Database
    let policy: RateLimitPolicy

    /// A key and how many recorded attempts it may have in the window.
    struct Limit: Sendable {
        let key: String
        let attempts: Int
    }

    /// The attempts recorded for one request, to forgive when it succeeds.
    struct Reservation: Sendable {
        fileprivate let ids: [Int64]
    }

    /// The limits of one password sign-in: per address, per account from this address, per account.
    func signInLimits(email: String, clientAddress: String) -> [Limit] {
        [
            Limit(key: "ip:\(clientAddress)", attempts: policy.attempts),
            Limit(key: "account-ip:\(email)|\(clientAddress)", attempts: policy.attempts),
            Limit(key: "account:\(email)", attempts: policy.accountAttempts),
        ]
    }

    /// The limit of requests counted per address (registration, refresh).
    func addressLimit(_ clientAddress: String) -> [Limit] {
        [Limit(key: "ip:\(clientAddress)", attempts: policy.attempts)]
    }

    /// Records an attempt under every key, or throws 429 with `Retry-After` when any key is at
    /// its limit (a refused attempt is not recorded).
    @discardableResult
    func reserve(_ limits: [Limit], logger: Logger) async throws -> Reservation {
        let limits = Dictionary(limits.map { ($0.key, $0.attempts) }, uniquingKeysWith: min)
            .sorted { $0.key < $1.key }  // a fixed lock order: no deadlock between replicas
        let window = policy.window
        let outcome: Result<Reservation, DomainError> = try await database.withTransaction(logger: logger) { connection in
            var longestWait: Double?
            for (key, limit) in limits {
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
            if let longestWait { return .failure(.rateLimited(retryAfter: max(1, Int(longestWait.rounded(.up))))) }
            var ids: [Int64] = []
            for (key, _) in limits {
                let rows = try await connection.query("INSERT INTO auth_attempts (key) VALUES (\(key)) RETURNING id", logger: logger)
                for try await id in rows.decode(Int64.self) { ids.append(id) }
            }
            return .success(Reservation(ids: ids))
        }
        return try outcome.get()
    }

    /// Forgets the attempts of a request that succeeded.
    func forgive(_ reservation: Reservation, logger: Logger) async throws {
        guard !reservation.ids.isEmpty else { return }
        try await database.query("DELETE FROM auth_attempts WHERE id = ANY(\(reservation.ids))", logger: logger)
    }
}
