import Foundation
import Logging
import PostgresNIO
import SpotServer
import SpotTestSupport
import Testing

/// The server-rendered web site in a real headless Chromium (driven by Tests/Browser/web.py
/// through WebDriver) against the real `spot server` on a real database. Screenshots are kept
/// in test-artifacts/web.
@Suite("Web site in a real browser")
struct WebBrowserTests {
    static let organizerPassword = "correct horse battery"

    func browser(_ journey: String, _ arguments: [String], url: String, screenshots: URL) async throws -> ProcessResult {
        try await runProcess(
            ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"] ?? "python3",
            [repositoryRoot.appendingPathComponent("Tests/Browser/web.py").path, journey]
                + attachedOptions(["--url", url, "--screenshots", screenshots.path] + arguments))
    }

    /// A verified organizer (signed in through the API) with a venue; returns their token and the venue id.
    static func organizer(_ api: APIClient, database: DatabaseConfiguration, email: String) async throws -> (String, String) {
        try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
            let database = Database(client: client, maximumConnections: 2, registry: .init())
            _ = try await ServerMaintenance.createAdmin(
                email: "admin@example.com", password: "admin password 1", displayName: "Admin", database: database,
                logger: Logger(label: "e2e"))
        }
        let admin = try #require(
            try await api.post("/api/v1/auth/login", ["email": "admin@example.com", "password": "admin password 1"])
                .json["access_token"].string)
        let token = try #require(
            try await api.post(
                "/api/v1/auth/register",
                ["email": email, "password": organizerPassword, "display_name": "Olga Organizer", "role": "organizer",
                 "organizer_name": "Harbour Nights"]
            ).json["access_token"].string)
        let organizerID = try #require(try await api.get("/api/v1/organizers/me", token: token).json["id"].string)
        #expect(try await api.post("/api/v1/admin/organizers/\(organizerID)/verify", token: admin).status == 200)
        let venue = try #require(
            try await api.post(
                "/api/v1/venues", ["name": "Harbour Hall", "city": "Hamburg", "address": "Kai 1", "time_zone": "Europe/Berlin"],
                token: token
            ).json["id"].string)
        return (token, venue)
    }

    /// A published event with one 25 EUR ticket type.
    static func publishedEvent(_ api: APIClient, token: String, venue: String, title: String) async throws -> String {
        let start = Date().addingTimeInterval(7 * 86_400)
        let event = try #require(
            try await api.post(
                "/api/v1/events",
                ["venue_id": venue, "category": "music", "title": title, "description": "Brass until dawn",
                 "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(6 * 3600).formatted(.iso8601)],
                token: token
            ).json["id"].string)
        #expect(
            try await api.post(
                "/api/v1/events/\(event)/ticket-types", ["name": "Standard", "price_minor": 2500, "currency": "EUR", "capacity": 100],
                token: token
            ).status == 201)
        #expect(try await api.post("/api/v1/events/\(event)/publish", token: token).status == 200)
        return event
    }

    @Test("Attendee: sign up, find an event despite a typo, a declined then a paid checkout, the wallet's QR decoded")
    func attendee() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let port = try freePort()
            let server = try await ServerProcess.launch(
                ["server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4"],
                port: port)
            let (token, venue) = try await Self.organizer(server.api, database: database, email: "olga@example.com")
            _ = try await Self.publishedEvent(server.api, token: token, venue: venue, title: "Midnight Jazz Festival")
            let injection = #"<img src=x onerror=alert(1)> injected <script>alert(2)</script>"#
            _ = try await Self.publishedEvent(server.api, token: token, venue: venue, title: injection)

            let result = try await browser(
                "attendee",
                ["--email", "robin@example.com", "--typo", "jaz festivl", "--title", "Midnight Jazz Festival",
                 "--injection", injection],
                url: "http://127.0.0.1:\(port)/", screenshots: try artifactDirectory("web"))
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(server.log)")
            #expect(result.stdout.contains("all attendee checks passed"))
            // The decoded QR code is one of the buyer's tickets, exactly as issued.
            let decoded = result.stdout.split(separator: "\n").first { $0.hasPrefix("decoded ") }.map { String($0.dropFirst(8)) }
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    """
                    SELECT t.payload FROM tickets t JOIN users u ON u.id = t.owner_user_id
                    WHERE u.email = 'robin@example.com'
                    """, logger: Logger(label: "e2e"))
                var payloads: [String] = []
                for try await payload in rows.decode(String.self) { payloads.append(payload) }
                #expect(payloads.count == 2)
                #expect(decoded.map(payloads.contains) == true, "decoded \(decoded ?? "nothing")")
            }
            #expect(try await server.stop() == 0)
        }
    }

    @Test("Waiting room: the organizer adds one; a buyer second in line is taken to the booking form when let in, and buys")
    func waitingRoom() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let port = try freePort()
            let server = try await ServerProcess.launch(
                ["server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4"],
                port: port)
            let email = "olga@example.com"
            let (token, venue) = try await Self.organizer(server.api, database: database, email: email)
            let event = try await Self.publishedEvent(server.api, token: token, venue: venue, title: "Rush Night")
            var accounts: [String] = []
            for (address, name) in [("first@example.com", "First Fan"), ("robin@example.com", "Robin Fan")] {
                let registered = try await server.api.post(
                    "/api/v1/auth/register", ["email": address, "password": Self.organizerPassword, "display_name": name])
                accounts.append(try #require(registered.json["access_token"].string, "\(registered.text)"))
            }
            let result = try await browser(
                "waiting-room",
                ["--email", email, "--event", event, "--buyer", "robin@example.com", "--ahead-token", accounts[0],
                 "--organizer-token", token],
                url: "http://127.0.0.1:\(port)/", screenshots: try artifactDirectory("web"))
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(server.log)")
            #expect(result.stdout.contains("all waiting-room checks passed"))
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    """
                    SELECT count(*)::int FROM bookings b JOIN users u ON u.id = b.user_id
                    WHERE u.email = 'robin@example.com' AND b.status = 'paid'
                    """, logger: Logger(label: "e2e"))
                for try await paid in rows.decode(Int.self) { #expect(paid == 1) }
            }
            #expect(try await server.stop() == 0)
        }
    }

    @Test("Organizer: create and publish an event with ticket types, enroll a node, grant an allotment, see its door sale and conflict")
    func organizer() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-web-organizer")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freePort()
            let serverURL = "http://127.0.0.1:\(port)"
            // Each phase signs in afresh: more sign-ins a minute than the default limit allows one address.
            let server = try await ServerProcess.launch(
                ["server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4",
                 "--auth-attempts-per-minute", "60"],
                port: port)
            let email = "olga@example.com"
            let (token, venue) = try await Self.organizer(server.api, database: database, email: email)
            let screenshots = try artifactDirectory("web")
            func phase(_ name: String, _ arguments: [String]) async throws -> [String: String] {
                let result = try await browser(
                    name, ["--email", email] + arguments, url: serverURL + "/", screenshots: screenshots)
                #expect(result.status == 0, "\(name):\n\(result.stdout)\n\(result.stderr)\n\(server.log)")
                #expect(result.stdout.contains("all \(name) checks passed"))
                return Dictionary(
                    result.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
                        let parts = line.split(separator: " ", maxSplits: 1)
                        return parts.count == 2 && ["event", "code"].contains(parts[0]) ? (String(parts[0]), String(parts[1])) : nil
                    }, uniquingKeysWith: { first, _ in first })
            }

            // The browser creates, edits and publishes the event and makes an enrollment code.
            let setup = try await phase("organizer-setup", ["--title", "Harbour Nights", "--venue", venue])
            let event = try #require(setup["event"])
            let code = try #require(setup["code"])
            let standard = try #require(
                try await server.api.get("/api/v1/events/\(event)/ticket-types", token: token).json["items"].array
                    .first { $0["name"].string == "Standard" }?["id"].string)

            // A buyer pays for a ticket online; the venue's node enrolls with the browser's code.
            let buyer = try #require(
                try await server.api.post(
                    "/api/v1/auth/register", ["email": "fan@example.com", "password": "correct horse battery", "display_name": "Fan"]
                ).json["access_token"].string)
            let held = try await server.api.post(
                "/api/v1/bookings", ["event_id": event, "items": [["ticket_type_id": standard, "quantity": 1] as [String: any Sendable]]],
                token: buyer)
            let booking = try #require(held.json["id"].string, "\(held.text)")
            #expect(try await server.api.post(
                "/api/v1/bookings/\(booking)/checkout", ["card": ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"]],
                token: buyer, headers: [("Idempotency-Key", "web-organizer-pay")]).status == 200)
            let ticket = try #require(try await server.api.get("/api/v1/wallet", token: buyer).json["items"].array.first)
            let nodeDirectory = directory.appendingPathComponent("node").path
            let enrolled = try await runProcess(
                try spotBinary(),
                ["node", "enroll", "--server", serverURL, "--code", code, "--data", nodeDirectory, "--pin", VenueNodeTests.staffPIN])
            #expect(enrolled.status == 0, "\(enrolled.stderr)")

            // The browser grants the node 5 Standard seats; the node (an hourly-polling v1 node, so it can
            // miss a refund) starts and pulls them with the ticket.
            _ = try await phase("organizer-allot", ["--event", event, "--seats", "5"])
            let nodePort = try freePort()
            let node = try await ServerProcess.launch(
                ["node", "run", "--data", nodeDirectory, "--port", String(nodePort), "--sync-interval", "3600", "--sync-protocol", "1"],
                port: nodePort)
            var status = try await node.api.get("/api/v1/status")
            for _ in 0..<100 where status.json["allotments"].array.first?["remaining"].int != 5 {
                try await Task.sleep(for: .milliseconds(100))
                status = try await node.api.get("/api/v1/status")
            }
            #expect(status.json["allotments"].array.first?["remaining"].int == 5, "\(status.text)")

            // The ticket is refunded centrally; the node has not heard yet and admits it; it sells one at the door.
            #expect(try await server.api.post(
                "/api/v1/bookings/\(booking)/refunds", token: token, headers: [("Idempotency-Key", "web-organizer-refund")]
            ).status == 200)
            let staff = try await VenueNodeTests.staff(node)
            #expect(try await VenueNodeTests.scan(staff, try #require(ticket["payload"].string), gate: "A")["verdict"].string == "ok")
            let sale = try await staff.post("/api/v1/sales", ["ticket_type_id": standard, "quantity": 1, "payment_method": "cash"])
            #expect(sale.status == 201, "\(sale.text)")
            #expect(try await staff.post("/api/v1/sync").status == 202)
            for _ in 0..<100 where status.json["outbox_depth"].int != 0 || status.json["conflicts"].int != 1 {
                try await Task.sleep(for: .milliseconds(100))
                status = try await node.api.get("/api/v1/status")
            }
            #expect(status.json["outbox_depth"].int == 0 && status.json["conflicts"].int == 1, "\(status.text)\n\(node.log)")

            // The browser sees the door sale and the conflict, and resolves it.
            _ = try await phase("organizer-review", ["--event", event, "--venue", venue])
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    "SELECT kind, resolution_note FROM conflicts WHERE resolved_at IS NOT NULL", logger: Logger(label: "e2e"))
                var resolved: [(String, String?)] = []
                for try await row in rows.decode((String, String?).self) { resolved.append(row) }
                #expect(resolved.count == 1 && resolved.first?.0 == "admitted_after_revocation", "\(resolved)")
                #expect(resolved.first?.1 == "Refund was late; guest let in, no action")
            }

            // The doors live: a second ticket bought online is checked in online, the node admits its
            // door-sold ticket and syncs; the browser's board moves each time, without a reload.
            let second = try await server.api.post(
                "/api/v1/bookings", ["event_id": event, "items": [["ticket_type_id": standard, "quantity": 1] as [String: any Sendable]]],
                token: buyer)
            let secondBooking = try #require(second.json["id"].string, "\(second.text)")
            let paid = try await server.api.post(
                "/api/v1/bookings/\(secondBooking)/checkout", ["card": ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"]],
                token: buyer, headers: [("Idempotency-Key", "web-organizer-pay-2")])
            let onlinePayload = try #require(paid.json["tickets"].array.first?["payload"].string, "\(paid.text)")
            let doorPayload = try #require(sale.json["tickets"].array.first?["payload"].string, "\(sale.text)")
            _ = try await phase("organizer-live", [
                "--event", event, "--organizer-token", token, "--online-payload", onlinePayload,
                "--node-url", node.api.baseURL + "/", "--staff-token", try #require(staff.bearerToken),
                "--door-payload", doorPayload,
            ])
            #expect(try await node.stop() == 0)
            #expect(try await server.stop() == 0)
        }
    }
}
