import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import SpotCore
import SpotSync

/// Everything `spot node run` is started with.
public struct NodeConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// How often a protocol-1 node syncs when nothing asks it to sooner, and the first pause after a failure.
    public var syncInterval: Duration
    /// Mutations per push request.
    public var pushBatchSize: Int
    /// The kiosk web app's folder (`Kiosk/`), served at `/kiosk/`; nil serves the API only.
    public var kioskDirectory: String?
    /// A staff session ends after this long without a request.
    public var staffIdleTimeout: Duration
    /// The sync protocol version the node speaks (2 follows the venue live, 1 polls).
    public var protocolVersion: SyncProtocolVersion
    /// With HTTPS material (`spot node tls`), the kiosk and API are served over HTTPS on
    /// `httpsPort`, and `port` serves only the trust page and the venue CA, redirecting the rest.
    public var tls: NodeTLS?
    public var httpsPort: Int
    /// The other nodes of the venue to follow on the LAN (`--peer URL`).
    public var peers: [String]
    /// How long a peer's fact is held before it is relayed to the server (`--relay-after`).
    public var relayAfter: Duration
    /// This node's base URLs on the LAN, told to the server for its peers (`--advertise`);
    /// empty: worked out from the address and port it listens on.
    public var advertise: [String]
    /// What its kiosks do when it stops answering (`--kiosk-failover`); nil: the venue's setting.
    public var kioskFailover: KioskFailover?

    public init(
        host: String = "127.0.0.1", port: Int = 8081, syncInterval: Duration = .seconds(10), pushBatchSize: Int = 500,
        kioskDirectory: String? = nil, staffIdleTimeout: Duration = .seconds(300),
        protocolVersion: SyncProtocolVersion = .current, tls: NodeTLS? = nil, httpsPort: Int = 8443, peers: [String] = [],
        relayAfter: Duration = .seconds(PeerProtocol.relayAfterSeconds), advertise: [String] = [],
        kioskFailover: KioskFailover? = nil
    ) {
        self.host = host
        self.port = port
        self.syncInterval = syncInterval
        self.pushBatchSize = pushBatchSize
        self.kioskDirectory = kioskDirectory
        self.staffIdleTimeout = staffIdleTimeout
        self.protocolVersion = protocolVersion
        self.tls = tls
        self.httpsPort = httpsPort
        self.peers = peers
        self.relayAfter = relayAfter
        self.advertise = advertise
        self.kioskFailover = kioskFailover
    }

    /// The base URLs peers reach this node at: `advertise` when given; else its HTTPS (or HTTP)
    /// port at the address it listens on — each address of the machine a LAN can use when it
    /// listens on all of them.
    public var advertisedURLs: [String] {
        if !advertise.isEmpty { return advertise }
        let (scheme, port) = tls == nil ? ("http", port) : ("https", httpsPort)
        let hosts: [String] =
            ["0.0.0.0", "::", "*"].contains(host)
            ? LANAddress.ofThisMachine().filter { !$0.isLocalOnly }.map(\.urlHost)
            : [LANAddress(host)?.urlHost ?? host]
        return hosts.prefix(FieldLimits.advertisedURLs.upperBound).map { "\(scheme)://\($0):\(port)" }
    }

}

/// Builds the node: its local API, the background sync service and the WAL checkpointer, in one service group
/// with graceful shutdown. `spot node run` and the tests both call this.
public func buildNodeApplication(
    database: NodeDatabase, configuration: NodeConfiguration, logger: Logger
) throws -> some ApplicationProtocol {
    let identity = try database.identity()
    var engine = SyncEngine(
        database: database, client: SyncClient(serverURL: identity.serverURL, protocolVersion: configuration.protocolVersion))
    engine.pushBatchSize = configuration.pushBatchSize
    engine.relayAfter = TimeInterval(configuration.relayAfter.components.seconds)
    // Own facts the server has answered are kept two days for peers that were away.
    try database.pruneOwnFacts(olderThan: 2 * 24 * 3600, now: Date())
    let trigger = SyncTrigger()
    let router = Router(context: NodeRequestContext.self)
    if let kiosk = configuration.kioskDirectory {
        // Static files only, from the node itself: the kiosk works with the internet down.
        router.add(middleware: FileMiddleware(
            kiosk, urlBasePath: "/kiosk", cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true,
            logger: logger))
        router.get("/") { _, _ in Response.redirect(to: "/kiosk/") }
    }
    router.get("/health") { _, _ in "ok" }
    let sessions = StaffSessions(idleTimeout: configuration.staffIdleTimeout)
    let api = router.group("api/v1")
    StaffController(database: database, sessions: sessions, now: { Date() }).addRoutes(to: api)
    let ownFacts = Generations()
    let followed = FollowedPeers()
    let controller = NodeController(
        database: database, engine: engine, trigger: trigger, ownFacts: ownFacts, kioskFailover: configuration.kioskFailover,
        now: { Date() })
    PeerController(database: database, recorded: ownFacts, followed: followed, now: { Date() }).addRoutes(to: router)
    controller.addPublicRoutes(to: api)
    let staff = api.group().add(middleware: StaffAuthMiddleware(sessions: sessions))
    controller.addStaffRoutes(to: staff)
    HistoryController(database: database).addRoutes(to: staff)
    FrameController().addRoutes(to: staff)
    let tls = TLSController(tls: configuration.tls, httpPort: configuration.port, httpsPort: configuration.httpsPort)
    tls.addInfoRoutes(to: api, router: router)
    var app = Application(
        router: router,
        server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: $0.serverConfiguration()) } ?? .http1(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.tls == nil ? configuration.port : configuration.httpsPort),
            serverName: "hvflvspot-node"),
        logger: logger)
    if configuration.tls != nil {
        app.addServices(Application(
            router: tls.plainRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hvflvspot-node"),
            logger: logger))
    }
    app.addServices(NodeSyncService(engine: engine, trigger: trigger, interval: configuration.syncInterval, logger: logger))
    app.addServices(WALCheckpointService(database: database, logger: logger))
    let authority = try configuration.tls.map { try NIOSSLCertificate(bytes: Array($0.authority.serializeAsPEM().pemString.utf8), format: .pem) }
    app.addServices(PeerDirectory(
        database: database, client: engine.client, staticPeers: configuration.peers, advertise: configuration.advertisedURLs,
        authority: authority, followed: followed, logger: logger, now: { Date() }))
    return app
}
