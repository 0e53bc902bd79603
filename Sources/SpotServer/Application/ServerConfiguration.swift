import Foundation
import Logging

/// Everything `spot server` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseConfiguration
    /// Connections in the PostgreSQL pool.
    public var maximumConnections: Int
    /// bcrypt cost (log2 rounds).
    public var passwordCost: UInt8
    /// Attempts allowed per client address and per account on the auth endpoints.
    public var authRateLimit: RateLimitPolicy
    public var clock: ServerClock
    public var logLevel: Logger.Level

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, maximumConnections: Int = 20,
        passwordCost: UInt8 = 12, authRateLimit: RateLimitPolicy = .authentication, clock: ServerClock = .system,
        logLevel: Logger.Level = .info
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.maximumConnections = maximumConnections
        self.passwordCost = passwordCost
        self.authRateLimit = authRateLimit
        self.clock = clock
        self.logLevel = logLevel
    }
}
