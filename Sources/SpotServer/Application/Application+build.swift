import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import SpotSync

/// Builds the server: a `PostgresClient` run as a service, migrations and the JWT
/// secret loaded before the server accepts connections, and the router.
/// `spot server` and the tests both call this.
public func buildApplication(_ configuration: ServerConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    var postgres = configuration.database.clientConfiguration
    postgres.options.maximumConnections = configuration.maximumConnections
    let client = PostgresClient(configuration: postgres, backgroundLogger: logger)
    let registry = PrometheusCollectorRegistry()
    let database = Database(
        client: client, maximumConnections: configuration.maximumConnections, registry: registry,
        deadline: configuration.databaseDeadline)
    // The simulation gateway stands in for a payment processor, a service of its own, so it has
    // connections of its own: a checkout holds a pooled connection while it waits for the charge,
    // and with every pooled connection so held, a charge drawing from the same pool would wait forever.
    var processor = configuration.database.clientConfiguration
    processor.options.maximumConnections = SimulationGateway.maximumConnections
    let processorClient = PostgresClient(configuration: processor, backgroundLogger: logger)
    let services = ServerServices(
        database: database, configuration: configuration, registry: registry,
        paymentProcessor: Database(
            client: processorClient, maximumConnections: SimulationGateway.maximumConnections,
            registry: PrometheusCollectorRegistry(), deadline: configuration.databaseDeadline),
        email: try configuration.smtp.map {
            EmailProvider(client: try SMTPClient(configuration: $0), clock: configuration.clock, logger: logger)
        },
        logger: logger)
    let router = buildRouter(services, site: try await WebSite.load())

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hvflvspot"),
        logger: logger)
    let ready = StartupGate()
    app.addServices(
        client, processorClient,
        NotificationFeed(
            configuration: try configuration.database.connectionConfiguration(), kept: services.checkInFacts, logger: logger),
        NotificationFeed(
            configuration: try configuration.database.connectionConfiguration(), kept: services.liveSessions, logger: logger))
    if configuration.syncProtocols.contains(where: { $0 >= .livePull }) {
        app.addServices(
            SyncSignalListener(
                configuration: try configuration.database.connectionConfiguration(), signals: services.syncSignals, logger: logger),
            NodeContactWriter(contacts: services.nodeContacts, database: database, logger: logger))
    }
    if configuration.runsBackgroundServices {
        // Waiting rooms let buyers in on time however busy the request pool is (an on-sale rush
        // fills it): their rounds have a connection of their own.
        var admission = configuration.database.clientConfiguration
        admission.options.maximumConnections = 1
        let admissionClient = PostgresClient(configuration: admission, backgroundLogger: logger)
        let admissionDatabase = Database(
            client: admissionClient, maximumConnections: 1, registry: PrometheusCollectorRegistry(),
            deadline: configuration.databaseDeadline)
        app.addServices(admissionClient)
        app.addServices(
            AfterStartup(gate: ready, service: NotificationDispatcher(
                database: database, providers: services.providers, policy: configuration.notificationPolicy,
                clock: configuration.clock, logger: logger)),
            AfterStartup(gate: ready, service: WebhookDispatcher(
                database: database, sender: WebhookSender(allowsPrivateTargets: configuration.webhooksAllowPrivateTargets),
                policy: configuration.webhookPolicy, clock: configuration.clock, logger: logger)),
            AfterStartup(gate: ready, service: JobRunner(
                database: database, refunds: services.refunds, policy: configuration.jobPolicy, clock: configuration.clock,
                logger: logger)),
            AfterStartup(gate: ready, service: HoldExpiryService(
                database: database, gateway: services.gateway, interval: configuration.holdExpiryInterval,
                clock: configuration.clock, logger: logger)),
            AfterStartup(gate: ready, service: WaitingRoomAdmitter(
                rooms: WaitingRoomRepository(database: admissionDatabase), interval: configuration.waitingRoomInterval,
                clock: configuration.clock, logger: logger)),
            AfterStartup(gate: ready, service: SyncFeedPruner(
                database: database, retention: configuration.syncFeedRetention,
                interval: configuration.syncFeedPruneInterval, clock: configuration.clock, logger: logger)))
    }
    app.beforeServerStarts {
        logger.info("database", metadata: ["url": "\(configuration.database.redactedDescription)"])
        logger.info("email", metadata: ["relay": "\(configuration.smtp?.redactedDescription ?? "none: the simulation provider records it")"])
        try await Migrator().migrate(client, logger: logger)
        await services.tokens.install(secret: try await services.auth.secret(named: "jwt_hs256", logger: logger))
        services.formKeys.install(secret: try await services.auth.secret(named: "web_forms", logger: logger))
        try await services.timeZones.load(from: database, logger: logger)
        await ready.open()
    }
    return app
}

/// The repositories and services the controllers share.
struct ServerServices: Sendable {
    let database: Database
    let registry: PrometheusCollectorRegistry
    let clock: ServerClock
    let tokens: AccessTokens
    let formKeys: FormKeys
    let timeZones: TimeZoneCatalog
    let hasher: PasswordHasher
    let limiter: RateLimiter
    let auth: AuthRepository
    let accounts: AccountService
    let organizers: OrganizerRepository
    let gateway: any PaymentGateway
    let refunds: RefundService
    let providers: [NotificationChannel: any NotificationProvider]
    let holdDuration: TimeInterval
    let clockSkewBoundMilliseconds: Int64
    let secureCookies: Bool
    let webSessionIdleTimeout: TimeInterval
    let syncSignals: SyncSignals
    let webhooksAllowPrivateTargets: Bool
    /// Contacts of nodes whose idle pulls were held from memory, written once a minute.
    let nodeContacts = NodeContacts()
    let syncProtocols: [SyncProtocolVersion]
    let waitingRooms: WaitingRoomRepository
    let waitingRoomGate: WaitingRoomGate
    /// Live sessions access tokens are checked against (fed by a ``NotificationFeed``).
    let liveSessions = LiveSessions()
    /// Events, issuer keys and scopes online check-ins keep (fed by a ``NotificationFeed``).
    let checkInFacts = CheckInFacts()
    /// Online check-in, shared by the API and the web pages so their check-ins are batched together.
    let checkIns: CheckInService
    /// Bookings, shared by the API and the web pages so their holds are placed together.
    let bookings: BookingRepository
    /// Checkout, shared by the API and the web pages so their checkouts are paid for together.
    let checkout: CheckoutService

    /// `paymentProcessor`: the simulation gateway's own connections (see ``buildApplication(_:logger:)``).
    init(
        database: Database, configuration: ServerConfiguration, registry: PrometheusCollectorRegistry,
        paymentProcessor: Database, email: EmailProvider?, logger: Logger
    ) {
        self.database = database
        self.registry = registry
        clock = configuration.clock
        tokens = AccessTokens()
        formKeys = FormKeys()
        timeZones = TimeZoneCatalog()
        hasher = PasswordHasher(cost: configuration.passwordCost)
        limiter = RateLimiter(database: database, policy: configuration.authRateLimit)
        auth = AuthRepository(database: database, sessions: liveSessions)
        accounts = AccountService(repository: auth, hasher: hasher, limiter: limiter)
        organizers = OrganizerRepository(database: database, sessions: liveSessions)
        gateway = SimulationGateway(database: paymentProcessor, logger: logger)
        refunds = RefundService(database: database, gateway: gateway)
        var providers = Dictionary(uniqueKeysWithValues: NotificationChannel.allCases.map {
            ($0, SimulationProvider(channel: $0, database: database, logger: logger) as any NotificationProvider)
        })
        if let email { providers[.email] = email }
        self.providers = providers
        holdDuration = configuration.holdDuration
        clockSkewBoundMilliseconds = configuration.clockSkewBoundMilliseconds
        secureCookies = configuration.secureCookies
        webSessionIdleTimeout = configuration.webSessionIdleTimeout
        syncSignals = SyncSignals()
        webhooksAllowPrivateTargets = configuration.webhooksAllowPrivateTargets
        syncProtocols = configuration.syncProtocols
        waitingRooms = WaitingRoomRepository(database: database)
        waitingRoomGate = WaitingRoomGate(passes: WaitingRoomPasses(keys: formKeys))
        checkIns = CheckInService(database: database, facts: checkInFacts)
        bookings = BookingRepository(database: database)
        checkout = CheckoutService(database: database, gateway: gateway, bookings: bookings)
    }
}

/// Every route of the server, behind the observability and error middleware;
/// the API routes also behind the authenticator; the web site's pages (unless `site` is nil).
func buildRouter(_ services: ServerServices, site: WebSite?) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ObservabilityMiddleware(registry: services.registry))
    router.add(middleware: ErrorMiddleware(pages: site?.pages))
    router.add(middleware: InputTextMiddleware())

    let health = HealthController(
        database: services.database, latestMigration: Migrator().latestVersion, registry: services.registry)
    router.get("/health", use: health.health)
    router.get("/metrics", use: health.metrics)
    router.get("/openapi.json") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
    }

    let api = router.group("api/v1")
        .add(middleware: Authenticator(tokens: services.tokens, repository: services.auth, clock: services.clock))
    AuthController(repository: services.auth, accounts: services.accounts, tokens: services.tokens, clock: services.clock)
        .addRoutes(to: api.group("auth"))
    OrganizerController(repository: services.organizers, database: services.database, clock: services.clock)
        .addRoutes(to: api.group("organizers"))
    AdminController(
        organizers: services.organizers, users: services.auth, database: services.database, clock: services.clock
    ).addRoutes(to: api.group("admin"))
    VenueController(
        repository: VenueRepository(database: services.database), organizers: services.organizers,
        timeZones: services.timeZones, clock: services.clock
    ).addRoutes(to: api.group("venues"))
    EventController(
        events: EventRepository(database: services.database), search: EventSearch(database: services.database),
        ticketTypes: TicketTypeRepository(database: services.database), organizers: services.organizers,
        clock: services.clock
    ).addRoutes(to: api)
    BookingController(
        bookings: services.bookings,
        checkout: services.checkout, refunds: services.refunds,
        idempotency: IdempotencyStore(database: services.database), organizers: services.organizers,
        database: services.database, waitingRooms: services.waitingRoomGate, holdDuration: services.holdDuration,
        clock: services.clock
    ).addRoutes(to: api)
    EventRecordsController(
        records: EventRecordsRepository(database: services.database),
        access: EventAccess(events: EventRepository(database: services.database), organizers: services.organizers)
    ).addRoutes(to: api)
    DoorDashboardController(
        access: EventAccess(events: EventRepository(database: services.database), organizers: services.organizers),
        repository: DoorDashboardRepository(database: services.database),
        stream: DoorDashboardStream(
            repository: DoorDashboardRepository(database: services.database), signals: services.syncSignals,
            clock: services.clock),
        clock: services.clock
    ).addRoutes(to: api)
    WebhookController(
        webhooks: WebhookRepository(database: services.database), organizers: services.organizers,
        allowsPrivateTargets: services.webhooksAllowPrivateTargets, clock: services.clock
    ).addRoutes(to: api)
    ExportController(
        exporter: CSVExporter(repository: ExportRepository(database: services.database)),
        access: EventAccess(events: EventRepository(database: services.database), organizers: services.organizers),
        organizers: services.organizers
    ).addRoutes(to: api)
    WaitingRoomController(
        rooms: services.waitingRooms, gate: services.waitingRoomGate,
        access: EventAccess(events: EventRepository(database: services.database), organizers: services.organizers),
        clock: services.clock
    ).addRoutes(to: api)
    TicketController(
        tickets: TicketRepository(database: services.database),
        checkIns: services.checkIns,
        keys: IssuerKeyRepository(database: services.database), organizers: services.organizers,
        staffAccounts: StaffRepository(database: services.database, hasher: services.hasher), clock: services.clock
    ).addRoutes(to: api)
    NotificationController(database: services.database, auth: services.auth, clock: services.clock).addRoutes(to: api)
    StatisticsController(database: services.database, organizers: services.organizers, timeZones: services.timeZones)
        .addRoutes(to: api)
    NodeController(
        nodes: NodeRepository(database: services.database), venues: VenueRepository(database: services.database),
        organizers: services.organizers, database: services.database, clock: services.clock
    ).addRoutes(to: api)

    let sync = router.group("api/v1/sync")
        .add(middleware: NodeAuthenticator(
            database: services.database, clock: services.clock, signals: services.syncSignals, credentials: NodeCredentialCache()))
    let syncService = SyncService(database: services.database, skewBoundMilliseconds: services.clockSkewBoundMilliseconds)
    let pushes = PushApplier(database: services.database, skewBoundMilliseconds: services.clockSkewBoundMilliseconds)
    SyncController(
        nodes: NodeRepository(database: services.database),
        sync: syncService, wokenPulls: WokenPullReader(sync: syncService),
        pushes: pushes, relays: RelayApplier(database: services.database, pushes: pushes),
        signals: services.syncSignals, idlePulls: IdlePullCache(), heartbeats: HeartbeatPacer(), contacts: services.nodeContacts,
        answers: PullAnswerEncoder(),
        served: services.syncProtocols, clock: services.clock
    ).addRoutes(to: sync)
    site?.addRoutes(to: router, services: services)
    return router
}
