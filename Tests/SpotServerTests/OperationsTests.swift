import Foundation
import Logging
import PostgresNIO
import Prometheus
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Operations: health, metrics, request ids, OpenAPI")
struct OperationsTests {
    @Test("/health reports the database, its version and the migration level")
    func health() async throws {
        try await TestServer.run { server in
            let health = try await server.api.get("/health")
            #expect(health.status == 200)
            #expect(health.json["status"].string == "ok")
            #expect(health.json["database"]["reachable"].bool == true)
            #expect(health.json["database"]["migration"].int == Migrator().latestVersion)
            #expect(health.json["database"]["server_version"].string?.hasPrefix("15.") == true)
            #expect(health.json["version"].string?.isEmpty == false)
        }
    }

    @Test("/health answers 503 quickly when the database is gone")
    func healthWithoutDatabase() async throws {
        try await TestServer.run(configure: { $0.databaseDeadline = .seconds(3) }) { server in
            try await TestDatabase.withClient(try TestDatabase.adminConfiguration(), logger: Logger(label: "test")) { admin in
                try await admin.query(
                    "DROP DATABASE \(unescaped: server.database.database) WITH (FORCE)", logger: Logger(label: "test"))
            }
            let start = ContinuousClock.now
            let health = try await server.api.get("/health")
            #expect(health.status == 503)
            #expect(health.json["status"].string == "unavailable")
            #expect(health.json["database"]["reachable"].bool == false)
            #expect(ContinuousClock.now - start < .seconds(5))
            // Other routes fail cleanly within the deadline too: the error shape, no details.
            let categories = try await server.api.get("/api/v1/categories")
            #expect(categories.status == 503)
            #expect(categories.errorCode == "database_unavailable")
            #expect(!categories.text.contains("spot_test"))
        }
    }

    @Test("/metrics counts requests by route and status, with latency and pool gauges; X-Request-ID is set")
    func metrics() async throws {
        // Without the background services, nothing else leases a connection while /metrics is read.
        try await TestServer.run(configure: { $0.runsBackgroundServices = false }) { server in
            let first = try await server.api.get("/api/v1/categories")
            let second = try await server.api.get("/api/v1/categories")
            let ids = [first, second].compactMap { $0.headers.first(name: "X-Request-ID") }
            #expect(ids.count == 2 && ids[0] != ids[1])
            _ = try await server.api.get("/api/v1/events/\(UUID())")
            _ = try await server.api.get("/no/such/route")
            let metrics = try await server.api.get("/metrics").text
            #expect(metrics.contains(#"http_requests_total{method="GET",route="/api/v1/categories",status="200"} 2"#))
            #expect(metrics.contains(#"http_requests_total{method="GET",route="/api/v1/events/{id}",status="404"} 1"#))
            #expect(metrics.contains(#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
            #expect(metrics.contains(#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/categories",le="+Inf"} 2"#))
            #expect(metrics.contains("spot_db_connections_max 8"))
            #expect(metrics.contains("spot_db_connections_in_use 0"))
        }
    }

    @Test("The OpenAPI document lists exactly the router's routes")
    func openAPIRoutes() async throws {
        let configuration = try TestDatabase.adminConfiguration()
        let registry = PrometheusCollectorRegistry()
        let client = PostgresClient(configuration: configuration.clientConfiguration)
        let database = Database(client: client, maximumConnections: 1, registry: registry)
        let services = ServerServices(
            database: database, configuration: ServerConfiguration(database: configuration), registry: registry,
            paymentProcessor: database, email: nil, logger: Logger(label: "test"))
        let routes = Set(buildRouter(services, site: nil).routes.map { route in
            let path = route.path.description.split(separator: "/").map {
                $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
            }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        let documented = Set(OpenAPIDocument.document.members["paths"]!.members.flatMap { path, operations in
            operations.members.keys.map { "\($0) \(path)" }
        })
        #expect(routes == documented, "undocumented: \(routes.subtracting(documented)); stale: \(documented.subtracting(routes))")
        #expect(routes.count > 30)
    }

    @Test("The document is valid OpenAPI 3.1 and real responses match its schemas")
    func openAPISchemas() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, organizer) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let event = try await server.publishedEvent(token: token, venue: venue)
            let registered = try await server.api.post(
                "/api/v1/auth/register", ["email": "fan@example.com", "password": "correct horse battery", "display_name": "Fan"])
            let fan = try #require(registered.json["access_token"].string)
            let systemToken = try await server.api.post("/api/v1/auth/system-tokens", ["name": "node"], token: token)
            var samples: [(String, APIResponse)] = [
                ("Health", try await server.api.get("/health")),
                ("SessionTokens", registered),
                ("User", try await server.api.get("/api/v1/auth/me", token: fan)),
                ("CreatedSystemToken", systemToken),
                ("Organizer", try await server.api.get("/api/v1/organizers/\(organizer)")),
                ("Venue", try await server.api.get("/api/v1/venues/\(venue)", token: token)),
                ("Event", try await server.api.get("/api/v1/events/\(event)")),
                ("EventPage", try await server.api.get("/api/v1/events?q=jazz")),
                ("AuditPage", try await server.api.get("/api/v1/organizers/me/audit", token: token)),
                ("Error", try await server.api.get("/api/v1/events/\(UUID())")),
                ("Error", try await server.api.post("/api/v1/auth/register", ["email": "x"])),
            ]
            // Commerce: a purchase, a refund, a check-in, staff, statistics.
            let ticketType = try #require(try await server.api.get("/api/v1/events/\(event)/ticket-types").json["items"][0]["id"].string)
            let held = try await server.hold(token: fan, event: event, ticketType: ticketType, quantity: 2)
            let paid = try await server.checkout(token: fan, booking: held.json["id"].string!)
            let refund = try await server.api.post(
                "/api/v1/bookings/\(held.json["id"].string!)/refunds", ["ticket_ids": [paid.json["tickets"][0]["id"].string!]],
                token: token, headers: [("Idempotency-Key", "schema")])
            let staff = try await server.api.post(
                "/api/v1/organizers/me/staff", ["email": "door@example.com", "display_name": "Door", "password": "door password 1"],
                token: token)
            let checkIn = try await server.api.post(
                "/api/v1/check-ins", ["payload": paid.json["tickets"][1]["payload"].string!, "gate": "A"], token: token)
            let profile = try await server.api.patch("/api/v1/me", ["phone": "+491701234567"], token: fan)
            let hook = try await server.api.post(
                "/api/v1/organizers/me/webhooks", ["url": "https://hooks.example.com/in", "event_types": ["booking.paid"]], token: token)
            samples += [
                ("Booking", held), ("Booking", paid), ("RefundResponse", refund), ("StaffMember", staff),
                ("CheckInResponse", checkIn), ("Profile", profile),
                ("Preferences", try await server.api.get("/api/v1/me/notification-preferences", token: fan)),
                ("Statistics", try await server.api.get("/api/v1/organizers/me/statistics", token: token)),
                ("DoorDashboard", try await server.api.get("/api/v1/events/\(event)/dashboard", token: token)),
                ("CreatedWebhookEndpoint", hook),
                ("WebhookDelivery", try await server.api.post(
                    "/api/v1/organizers/me/webhooks/\(hook.json["endpoint"]["id"].string ?? "")/test", token: token)),
                ("TrustBundle", try await server.api.get("/api/v1/organizers/\(organizer)/trust")),
                ("Error", try await server.checkout(
                    token: fan, booking: try await server.hold(token: fan, event: event, ticketType: ticketType).json["id"].string!,
                    card: TestServer.card("4000000000000002"))),
            ]
            for (schema, path, token) in [
                ("Ticket", "/api/v1/wallet", fan), ("Transaction", "/api/v1/payments", fan),
                ("Notification", "/api/v1/me/notifications", fan), ("Booking", "/api/v1/bookings", fan),
                ("WebhookEndpoint", "/api/v1/organizers/me/webhooks", token),
            ] {
                let list = try await server.api.get(path, token: token)
                guard !list.json["items"].array.isEmpty else {
                    Issue.record("\(path) returned no items: \(list.text)")
                    continue
                }
                samples.append((schema, APIResponse(status: 200, headers: [:], body: try JSONSerialization.data(
                    withJSONObject: list.json["items"][0].value))))
            }
            let ticketTypes = try await server.api.get("/api/v1/events/\(event)/ticket-types")
            samples.append(("TicketType", APIResponse(status: 200, headers: [:], body: try JSONSerialization.data(
                withJSONObject: ticketTypes.json["items"][0].value))))
            _ = try await server.publishedEvent(token: token, venue: venue, title: "Another Night")
            let recommended = try await server.api.get("/api/v1/events/recommended", token: fan)
            samples.append(("Recommendation", APIResponse(status: 200, headers: [:], body: try JSONSerialization.data(
                withJSONObject: recommended.json["items"][0].value))))

            let input: [String: Any] = [
                "document": try JSONSerialization.jsonObject(with: OpenAPIDocument.json),
                "samples": samples.map { ["schema": $0.0, "instance": $0.1.json.value] },
            ]
            let python = ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"] ?? "python3"
            let result = try await runProcess(
                python, [repositoryRoot.appendingPathComponent("Tests/Tools/openapi_check.py").path],
                stdin: String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self))
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            // The served document is the same.
            #expect(try await server.api.get("/openapi.json").body == OpenAPIDocument.json)
        }
    }
}
