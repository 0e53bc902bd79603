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
            [repositoryRoot.appendingPathComponent("Tests/Browser/web.py").path, journey, "--url", url,
             "--screenshots", screenshots.path] + arguments)
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
}
