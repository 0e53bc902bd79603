import Foundation
import Logging
import SpotSync

/// Everything `spot server` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseConfiguration
    /// Connections in the PostgreSQL pool.
    public var maximumConnections: Int
    /// How long a request waits on the database before it is answered 503.
    public var databaseDeadline: Duration
    /// bcrypt cost (log2 rounds).
    public var passwordCost: UInt8
    /// Attempts allowed per client address and per account on the auth endpoints.
    public var authRateLimit: RateLimitPolicy
    public var clock: ServerClock
    public var logLevel: Logger.Level
    /// How long seats stay held while the buyer pays.
    public var holdDuration: TimeInterval
    /// Whether this process runs the background services (notification dispatcher, job
    /// runner, hold expiry, sync feed pruning). Every replica may: they share work through PostgreSQL.
    public var runsBackgroundServices: Bool
    public var notificationPolicy: WorkerPolicy
    public var jobPolicy: WorkerPolicy
    /// How often expired holds are looked for.
    public var holdExpiryInterval: Duration
    /// How often waiting rooms let buyers in (each round lets in what the rate allows since the last).
    public var waitingRoomInterval: Duration
    /// A node whose wall clock differs from the server's by more than this (milliseconds)
    /// is flagged, and so are the scans it pushes.
    public var clockSkewBoundMilliseconds: Int64
    /// How long the sync change feed keeps a row; a node offline for longer bootstraps again.
    public var syncFeedRetention: TimeInterval
    /// How often the feed is pruned.
    public var syncFeedPruneInterval: Duration
    /// Whether the web site's cookies carry `Secure` (sent over HTTPS only). Browsers accept
    /// them on `http://localhost` and `http://127.0.0.1` too; turn off only to serve plain
    /// HTTP to other machines on a development network.
    public var secureCookies: Bool
    /// A web session unused this long ends.
    public var webSessionIdleTimeout: TimeInterval
    /// The sync protocol versions served to nodes (all this build speaks, unless an operator
    /// turns live pull off, e.g. behind a pooler that cannot pass `LISTEN`).
    public var syncProtocols: [SyncProtocolVersion]
    /// The relay email goes out through; nil: the simulation provider records it instead.
    public var smtp: SMTPConfiguration?
    /// Development only: webhooks may go to plain HTTP and to loopback and private addresses.
    public var webhooksAllowPrivateTargets: Bool
    public var webhookPolicy: WorkerPolicy

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, maximumConnections: Int = 20,
        databaseDeadline: Duration = .seconds(10),
        passwordCost: UInt8 = 12, authRateLimit: RateLimitPolicy = .authentication, clock: ServerClock = .system,
        logLevel: Logger.Level = .info, holdDuration: TimeInterval = 10 * 60, runsBackgroundServices: Bool = true,
        notificationPolicy: WorkerPolicy = WorkerPolicy(), jobPolicy: WorkerPolicy = WorkerPolicy(),
        holdExpiryInterval: Duration = .seconds(15), waitingRoomInterval: Duration = .seconds(1),
        clockSkewBoundMilliseconds: Int64 = 5_000,
        syncFeedRetention: TimeInterval = 30 * 24 * 3600, syncFeedPruneInterval: Duration = .seconds(3600),
        secureCookies: Bool = true, webSessionIdleTimeout: TimeInterval = 7 * 24 * 3600,
        syncProtocols: [SyncProtocolVersion] = SyncProtocolVersion.supported, smtp: SMTPConfiguration? = nil,
        webhooksAllowPrivateTargets: Bool = false, webhookPolicy: WorkerPolicy = WorkerPolicy(maximumAttempts: 8, baseDelay: 30)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.maximumConnections = maximumConnections
        self.databaseDeadline = databaseDeadline
        self.passwordCost = passwordCost
        self.authRateLimit = authRateLimit
        self.clock = clock
        self.logLevel = logLevel
        self.holdDuration = holdDuration
        self.runsBackgroundServices = runsBackgroundServices
        self.notificationPolicy = notificationPolicy
        self.jobPolicy = jobPolicy
        self.holdExpiryInterval = holdExpiryInterval
        self.waitingRoomInterval = waitingRoomInterval
        self.clockSkewBoundMilliseconds = clockSkewBoundMilliseconds
        self.syncFeedRetention = syncFeedRetention
        self.syncFeedPruneInterval = syncFeedPruneInterval
        self.secureCookies = secureCookies
        self.webSessionIdleTimeout = webSessionIdleTimeout
        self.syncProtocols = syncProtocols
        self.smtp = smtp
        self.webhooksAllowPrivateTargets = webhooksAllowPrivateTargets
        self.webhookPolicy = webhookPolicy
    }
}
