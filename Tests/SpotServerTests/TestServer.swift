import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import SpotServer
import SpotTestSupport

/// A live server on a real socket over a fresh database of its own.
struct TestServer: Sendable {
    let api: APIClient
    let database: DatabaseConfiguration

    /// Runs `body` against a live server. Tests use bcrypt cost 4 and a generous auth
    /// rate limit unless they configure otherwise (the rate-limit tests use 5/minute), and the
    /// production database deadline (10 s: the whole suite shares two cores and one cluster).
    static func run(
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await TestDatabase.shared.withDatabase { database in
            var configuration = ServerConfiguration(
                host: "localhost", port: 0, database: database, maximumConnections: 8, databaseDeadline: .seconds(10), passwordCost: 4,
                authRateLimit: RateLimitPolicy(attempts: 1000, window: 60))
            configure(&configuration)
            var logger = Logger(label: "spot-test-server")
            logger.logLevel = .warning
            let app = try await buildApplication(configuration, logger: logger)
            try await app.test(.live) { client in
                try await body(TestServer(api: APIClient(port: client.port!, host: "localhost"), database: database))
            }
        }
    }

    /// Registers an account and returns its access token and user id.
    func register(
        _ email: String, role: String = "attendee", password: String = "correct horse battery"
    ) async throws -> (token: String, userID: String, refresh: String) {
        let response = try await api.post(
            "/api/v1/auth/register",
            ["email": email, "password": password, "display_name": email.components(separatedBy: "@")[0], "role": role])
        guard response.status == 201, let token = response.json["access_token"].string,
            let id = response.json["user"]["id"].string, let refresh = response.json["refresh_token"].string
        else { throw TestFailure("register \(email): \(response.status) \(response.text)") }
        return (token, id, refresh)
    }

    /// Runs SQL against the test's database (to set up what the API cannot, e.g. bookings).
    func sql(_ statements: String...) async throws {
        try await TestDatabase.withClient(database, logger: Logger(label: "spot-test-sql")) { client in
            for statement in statements {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "spot-test-sql"))
            }
        }
    }

    /// The first column of the first row of `query` as an integer.
    func count(_ query: String) async throws -> Int {
        try await TestDatabase.withClient(database, logger: Logger(label: "spot-test-sql")) { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: query), logger: Logger(label: "spot-test-sql"))
            for try await value in rows.decode(Int.self) { return value }
            return 0
        }
    }

    /// The first column of the first row of `query` as text ("" when there is no row).
    func text(_ query: String) async throws -> String {
        try await TestDatabase.withClient(database, logger: Logger(label: "spot-test-sql")) { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: query), logger: Logger(label: "spot-test-sql"))
            for try await value in rows.decode(String.self) { return value }
            return ""
        }
    }

    /// An admin account (created directly, as `spot server create-admin` does) and its token.
    func admin() async throws -> String {
        let email = "admin-\(UUID().uuidString.prefix(6))@example.com"
        try await TestDatabase.withClient(database, logger: Logger(label: "spot-test-admin")) { client in
            let database = Database(client: client, maximumConnections: 2, registry: .init())
            _ = try await ServerMaintenance.createAdmin(
                email: email, password: "admin password 1", displayName: "Admin", database: database,
                logger: Logger(label: "spot-test-admin"))
        }
        let login = try await api.post("/api/v1/auth/login", ["email": email, "password": "admin password 1"])
        guard let token = login.json["access_token"].string else { throw TestFailure("admin login: \(login.text)") }
        return token
    }

    /// A verified organizer with one venue; returns its token and venue id.
    func verifiedOrganizer(_ email: String, admin: String) async throws -> (token: String, venue: String, organizer: String) {
        let (token, _, _) = try await register(email, role: "organizer")
        let organizer = try await api.get("/api/v1/organizers/me", token: token).json["id"].string!
        let verified = try await api.post("/api/v1/admin/organizers/\(organizer)/verify", token: admin)
        guard verified.status == 200 else { throw TestFailure("verify: \(verified.text)") }
        let venue = try await createVenue(token: token)
        return (token, venue, organizer)
    }

    func createVenue(token: String, name: String = "Harbour Hall", city: String = "Hamburg") async throws -> String {
        let response = try await api.post(
            "/api/v1/venues", ["name": name, "city": city, "address": "Kai 1", "time_zone": "Europe/Berlin"], token: token)
        guard response.status == 201, let id = response.json["id"].string else {
            throw TestFailure("venue: \(response.text)")
        }
        return id
    }

    /// A draft event at `venue`, starting `days` from now; returns its id.
    func createEvent(
        token: String, venue: String, title: String = "Summer Jazz Festival", description: String = "Brass under the stars",
        category: String = "music", days: Double = 30
    ) async throws -> String {
        let start = Date().addingTimeInterval(days * 86_400)
        let response = try await api.post(
            "/api/v1/events",
            [
                "venue_id": venue, "category": category, "title": title, "description": description,
                "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(4 * 3600).formatted(.iso8601),
            ], token: token)
        guard response.status == 201, let id = response.json["id"].string else {
            throw TestFailure("event: \(response.text)")
        }
        return id
    }

    func addTicketType(token: String, event: String, price: Int = 2500, name: String = "Standard") async throws -> String {
        let response = try await api.post(
            "/api/v1/events/\(event)/ticket-types",
            ["name": name, "price_minor": price, "currency": "EUR", "capacity": 100], token: token)
        guard response.status == 201, let id = response.json["id"].string else {
            throw TestFailure("ticket type: \(response.text)")
        }
        return id
    }

    /// A published event with one ticket type.
    func publishedEvent(
        token: String, venue: String, title: String = "Summer Jazz Festival", description: String = "Brass under the stars",
        category: String = "music", days: Double = 30, price: Int = 2500
    ) async throws -> String {
        let event = try await createEvent(token: token, venue: venue, title: title, description: description, category: category, days: days)
        _ = try await addTicketType(token: token, event: event, price: price)
        let published = try await api.post("/api/v1/events/\(event)/publish", token: token)
        guard published.status == 200 else { throw TestFailure("publish: \(published.text)") }
        return event
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits up to 20 s for `condition` (background work: a dispatcher's delivery, a retry).
func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<200 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("timed out waiting for \(what)")
}
