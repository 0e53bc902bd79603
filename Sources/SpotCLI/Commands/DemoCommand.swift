import ArgumentParser
import Foundation
import Logging
import SpotCore
import SpotServer

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo: signed QR tickets verified offline, then the central server with sample data.",
        discussion: """
            1. Creates (or reuses) a signing key in DIR/keys, issues a ticket for a demo event, writes its \
               QR code to DIR/tickets, verifies it offline, and shows a tampered copy being refused.
            2. Starts the central server on an embedded PostgreSQL in DIR/server, seeds it on the first run \
               (sample events, a demo admin and a verified demo organizer), prints the URLs and accounts, \
               and serves until Ctrl-C. A second run reuses the data.

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

    @Option(help: "Sample events to seed on the first run.")
    var events = 500

    @Flag(help: "Only the offline ticket part; do not start the server.")
    var noServer = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard (0...1_000_000).contains(events) else { throw ValidationError("--events must be 0 to 1,000,000") }
    }

    func run() async throws {
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
            say("""
                   \(seeded ? "Seeded" : "Reusing") \(total) published events and the demo accounts.

                Server running at \(base)  (Ctrl-C stops everything)
                  health:     \(base)/health
                  OpenAPI:    \(base)/openapi.json
                  search:     \(base)/api/v1/events?q=jazz%20festivl&city=Berlin
                  categories: \(base)/api/v1/categories
                  metrics:    \(base)/metrics

                Demo accounts (password "\(DemoAccounts.password)"):
                  admin      \(DemoAccounts.adminEmail)
                  organizer  \(DemoAccounts.organizerEmail)  (verified)

                Try:
                  curl -s '\(base)/api/v1/events?q=jaz%20festivl&per_page=3'
                  curl -s -X POST \(base)/api/v1/auth/login -H 'Content-Type: application/json' \\
                    -d '{"email":"\(DemoAccounts.organizerEmail)","password":"\(DemoAccounts.password)"}'
                """)
            let configuration = ServerConfiguration(port: port, database: database)
            let app = try await buildApplication(configuration, logger: logger)
            try await app.runService()
            say("\nStopped. Run spot demo again to continue with the same data.")
        }
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
