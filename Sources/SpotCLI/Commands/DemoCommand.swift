import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SpotCore
import SpotNode
import SpotQR
import SpotServer
import SpotTooling

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo: the central server with sample data, a venue node and its door kiosk.",
        discussion: """
            1. Creates (or reuses) a signing key in DIR/keys, issues a ticket for a demo event, writes its \
               QR code to DIR/tickets, verifies it offline, and shows a tampered copy being refused.
            2. Starts the central server on an embedded PostgreSQL in DIR/server, seeds it on the first run \
               (sample events, a demo admin and a verified demo organizer), prints the URLs and accounts, \
               and serves until Ctrl-C. A second run reuses the data.
            3. On the first run, through the server's API: a door-demo event with tickets sold online, a \
               venue node enrolled in DIR/node with an allotment to sell at the door (staff PIN 1234), and \
               sample ticket QR codes in DIR/kiosk-tickets. Then the node runs beside the server, serving the \
               kiosk web app.

            Examples:
              spot demo
              spot demo --dir demo-output --port 8080
              spot demo --no-server
            """
    )

    @Option(help: ArgumentHelp("Where the demo keeps its files.", valueName: "DIR"))
    var dir = "demo-output"

    @Option(help: "Port for the server.")
    var port = 8080

    @Option(help: "Port for the venue node and its kiosk.")
    var nodePort = 8081

    @Option(help: "Tickets sold online for the door-demo event on the first run.")
    var soldTickets = 300

    @Option(help: "Sample events to seed on the first run.")
    var events = 500

    @Flag(help: "Only the offline ticket part; do not start the server.")
    var noServer = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard (1...65535).contains(nodePort), nodePort != port else {
            throw ValidationError("--node-port must be 1 to 65535 and differ from --port")
        }
        guard (6...2000).contains(soldTickets) else { throw ValidationError("--sold-tickets must be 6 to 2000") }
        guard (0...1_000_000).contains(events) else { throw ValidationError("--events must be 0 to 1,000,000") }
    }

    func run() async throws {
        // 0755: as root, the embedded PostgreSQL runs as `postgres` and must reach DIR/server.
        try Files.makeDirectory(dir, mode: 0o755)
        try offlineTickets()
        if !noServer { try await server() }
    }

    /// Part 2: the server on its embedded PostgreSQL, seeded once.
    private func server() async throws {
        let logger = makeLogger(level: .warning)
        let options = try DatabaseOptions.parse(["--data-dir", (dir as NSString).appendingPathComponent("server")])
        say("\n6. Starting the central server (embedded PostgreSQL in \(dir)/server) …")
        try await options.withDatabase(logger: logger) { database in
            let (seeded, total) = try await ServerMaintenance.withDatabase(database, logger: logger) { [events] database in
                let created = try await DemoAccounts.ensure(in: database, logger: logger)
                if created, events > 0 {
                    let bar = ProgressBar(label: "sample events")
                    _ = try await SampleData(events: events).insert(into: database, now: Date(), logger: logger) {
                        bar.update($0, of: $1)
                    }
                    bar.finish()
                }
                return (created, try await DemoAccounts.publishedEvents(in: database, logger: logger))
            }
            let base = "http://127.0.0.1:\(port)"
            let configuration = ServerConfiguration(port: port, database: database)
            let nodeDirectory = (dir as NSString).appendingPathComponent("node")
            let ticketDirectory = (dir as NSString).appendingPathComponent("kiosk-tickets")
            let venue = DemoVenue(serverURL: base, nodeDirectory: nodeDirectory, soldTickets: soldTickets)
            let node: NodeDatabase
            if try venue.exists() {
                node = try NodeDatabase.open(path: venue.nodeDatabasePath)
                say("   \(seeded ? "Seeded" : "Reusing") \(total) published events, the demo accounts and the venue node in \(dir)/node.")
            } else {
                say("   \(seeded ? "Seeded" : "Reusing") \(total) published events and the demo accounts.")
                say("7. Setting up the door demo through the server's API …")
                try Files.makeDirectory(nodeDirectory)
                let built = try await withServer(configuration, logger: logger) {
                    try await venue.build { say("   · \($0)") }
                }
                node = built.node
                say("   · sample tickets in \(ticketDirectory)")
                try writeSamples(built.samples, to: ticketDirectory)
            }
            let kiosk = kioskFolder(explicit: nil)
            if kiosk == nil {
                say("warning: no Kiosk/ folder found (run from the source tree or set SPOT_KIOSK_DIR): the node serves its API only")
            }
            let nodeApp = try buildNodeApplication(
                database: node,
                configuration: NodeConfiguration(port: nodePort, syncInterval: .seconds(5), kioskDirectory: kiosk),
                logger: logger)
            let serverApp = try await buildApplication(configuration, logger: logger)
            printWelcome(base: base, kiosk: "http://127.0.0.1:\(nodePort)", sample: samplePayload(in: ticketDirectory))
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: serverApp), .init(service: StartsAfterServer(node: nodeApp, serverPort: port))],
                gracefulShutdownSignals: [.sigint, .sigterm],
                logger: logger))
            try await group.run()
            say("\nStopped. Run spot demo again to continue with the same data.")
        }
    }

    /// Runs the server alone while `body` sets up the venue through its API, then shuts it down gracefully.
    private func withServer<T: Sendable>(
        _ configuration: ServerConfiguration, logger: Logger, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: try await buildApplication(configuration, logger: logger))], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            do {
                try await waitUntilHealthy(port: configuration.port)
                let result = try await body()
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Each sample ticket as text (to paste into the kiosk) and as a QR image (to show a camera).
    private func writeSamples(_ samples: [DemoVenue.Sample], to directory: String) throws {
        try Files.makeDirectory(directory)
        for sample in samples {
            let base = (directory as NSString).appendingPathComponent(sample.name)
            try Files.write(sample.payload + "\n", to: base + ".txt")
            try Files.write(try QRCode(text: sample.payload).pngData(moduleSize: 8), to: base + ".png")
        }
    }

    /// The first sample ticket's payload, to paste into the kiosk's scan field.
    private func samplePayload(in directory: String) -> String? {
        (try? String(contentsOfFile: (directory as NSString).appendingPathComponent("ticket-1.txt"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func printWelcome(base: String, kiosk: String, sample: String?) {
        say("""

            Everything is running  (Ctrl-C stops it all)

            Door kiosk (venue node, works offline)
              door mode:  \(kiosk)/kiosk/#door
              sale mode:  \(kiosk)/kiosk/#sale
              staff PIN:  \(DemoVenue.staffPIN)
              sample tickets (QR images and their text): \(dir)/kiosk-tickets — refunded.png is refunded, so it is refused

            Central server
              web site:   \(base)/  (sign in with an account below; organizers manage events at \(base)/organizer)
              API:        \(base)/api/v1/events?q=jazz%20festivl&city=Berlin
              OpenAPI:    \(base)/openapi.json
              health:     \(base)/health
              metrics:    \(base)/metrics
              accounts (password "\(DemoAccounts.password)"): admin \(DemoAccounts.adminEmail), \
            organizer \(DemoAccounts.organizerEmail), buyer \(DemoVenue.buyerEmail)

            Try:
              1. Open \(kiosk)/kiosk/ and sign in with PIN \(DemoVenue.staffPIN).
              2. Scan a sample ticket → green; scan it again → amber, already admitted. Show
                 \(dir)/kiosk-tickets/ticket-1.png to a USB scanner, or paste its text into the scan field and press Enter:
                 \(sample ?? "(see \(dir)/kiosk-tickets/ticket-1.txt)")
              3. "Sell tickets": pick a type, quantity and payment, Confirm → QR codes to scan from a phone, or print them.
              4. The node's sync health: spot node status --data \(dir)/node
              5. The web site: sign in at \(base)/signin as the organizer to follow the door demo's sales,
                 check-ins, conflicts and node, or as the buyer to see the wallet's QR codes.
            """)
    }

    static let event = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e001")!
    static let ticketType = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000a001")!

    /// Part 1: a key, a signed ticket and its QR code, verified offline.
    private func offlineTickets() throws {
        let keyDirectory = (dir as NSString).appendingPathComponent("keys")
        let privatePath = (keyDirectory as NSString).appendingPathComponent("signing.key")
        let publicPath = (keyDirectory as NSString).appendingPathComponent("signing.pub")
        let key: SigningKey
        if FileManager.default.fileExists(atPath: privatePath) {
            key = try loadPrivateKey(privatePath)
            say("1. Reusing signing key \(key.keyID) from \(privatePath)")
        } else {
            key = SigningKey()
            try Files.makeDirectory(keyDirectory)
            try Files.write(key.armoredPrivateKey, to: privatePath, mode: 0o600)
            try Files.write(key.armoredPublicKey, to: publicPath)
            say("1. Generated signing key \(key.keyID) in \(keyDirectory)")
        }

        let now = Date()
        var generator = SystemRandomNumberGenerator()
        let claims = TicketClaims(
            ticketID: UUID.version7(unixMilliseconds: Int64(now.timeIntervalSince1970 * 1000), using: &generator),
            eventID: Self.event, ticketTypeID: Self.ticketType, validUntil: now.addingTimeInterval(7 * 86_400))
        // Version 1 and a window that ends in the future are always signable.
        let ticket = try! SignedTicket.sign(claims, with: key)
        say("2. Issued ticket \(claims.ticketID.uuidString.lowercased()) for event \(Self.event.uuidString.lowercased())")
        say("   payload (\(ticket.bytes.count) bytes → \(ticket.text.count) Base45 characters):")
        say("   \(ticket.text)")

        let ticketDirectory = (dir as NSString).appendingPathComponent("tickets")
        let png = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.png")
        let svg = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.svg")
        let text = (ticketDirectory as NSString).appendingPathComponent("demo-ticket.txt")
        try writeQR(ticket.text, png: png, svg: svg)
        try Files.write(ticket.text + "\n", to: text)
        say("3. Wrote the QR code: \(png) and \(svg)")

        let verifier = TicketVerifier(
            trust: try TrustFiles.load([publicPath]),
            gate: GatePolicy(gate: "demo", events: [EventAdmission(eventID: Self.event)]))
        let admitted = verifier.verify(ticket.text, at: now, revocations: RevocationList(), scans: ScanLedger())
        say("4. Verified offline: \(admitted.verdict.code) — \(admitted.message())")

        var tampered = ticket.bytes
        tampered[42] ^= 0x01  // one bit of the ticket type id
        let refused = verifier.verify(Base45.encode(tampered), at: now, revocations: RevocationList(), scans: ScanLedger())
        say("5. A copy with one bit changed: \(refused.verdict.code) — \(refused.message())")
        guard admitted.verdict.passes, !refused.verdict.passes else {
            throw CLIError.failure("the demo ticket did not verify as expected")
        }

        // The path this binary was started by, so the lines below run as printed.
        let spot = CommandLine.arguments.first ?? "spot"
        say("""

            Try it yourself:
              zbarimg --raw -q \(png)
              \(spot) ticket verify --trust \(publicPath) --event \(Self.event.uuidString.lowercased()) "$(cat \(text))"
              \(spot) ticket verify --trust \(publicPath) --event 0193a5c0-7e00-7000-8000-00000000e002 "$(cat \(text))"
              \(spot) --help
            """)
    }
}

/// The demo's node, started once the server in the same process answers, so its first sync finds it.
private struct StartsAfterServer<Node: Service>: Service {
    let node: Node
    let serverPort: Int

    func run() async throws {
        try await waitUntilHealthy(port: serverPort)
        try await node.run()
    }
}
