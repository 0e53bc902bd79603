import Foundation
import Logging
@testable import SpotServer
import SpotTestSupport
import Testing

/// The organizer's and admin's pages over a real socket and database.
@Suite("Organizer web pages")
struct OrganizerWebTests {
    func signIn(_ server: TestServer, email: String, password: String) async throws -> WebClient {
        let web = WebClient(port: try #require(Int(server.api.baseURL.split(separator: ":").last ?? "")))
        _ = try await web.get("/signin")
        let signedIn = try await web.post("/signin", [("email", email), ("password", password)])
        #expect(signedIn.status == 303, "\(signedIn.html)")
        return web
    }

    @Test("Admin verifies; organizer adds a venue, creates an event, adds a ticket type, publishes; resolves a conflict")
    func organizerJourney() async throws {
        try await TestServer.run { server in
            _ = try await server.admin()
            _ = try await server.register("olga@example.com", role: "organizer", password: "correct horse battery")
            let organizerID = try await server.api.get(
                "/api/v1/organizers/me", token: try await server.api.post(
                    "/api/v1/auth/login", ["email": "olga@example.com", "password": "correct horse battery"]
                ).json["access_token"].string!
            ).json["id"].string!
            let olga = try await signIn(server, email: "olga@example.com", password: "correct horse battery")
            #expect(try await olga.get("/admin").status == 403)
            #expect(try await olga.get("/organizer").html.contains("not verified yet"))

            let adminEmail = try #require(try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client in
                let rows = try await client.query("SELECT email FROM users WHERE role = 'admin'", logger: Logger(label: "t"))
                for try await email in rows.decode(String.self) { return email }
                return nil as String?
            })
            let admin = try await signIn(server, email: adminEmail, password: "admin password 1")
            #expect(try await admin.get("/admin").html.contains("Verify"))
            #expect(try await admin.post("/admin/organizers/\(organizerID)/verify").location == "/admin?notice=verified")
            #expect(try await server.count("SELECT count(*)::int FROM organizers WHERE verified_at IS NOT NULL") == 1)

            let venue = try await olga.post(
                "/organizer/venues", [("name", "Harbour Hall"), ("city", "Hamburg"), ("address", "Kai 1"), ("time_zone", "Europe/Berlin")])
            let venuePath = try #require(venue.location?.split(separator: "?").first.map(String.init))
            let venueID = String(venuePath.split(separator: "/").last!)
            let start = Date().addingTimeInterval(10 * 86_400)
            let local = Formatting.localInput(start, timeZone: "Europe/Berlin")
            let endLocal = Formatting.localInput(start.addingTimeInterval(4 * 3600), timeZone: "Europe/Berlin")
            let bad = try await olga.post(
                "/organizer/events",
                [("title", ""), ("category", "music"), ("venue_id", venueID), ("starts_at", local), ("ends_at", local)])
            #expect(bad.status == 422)
            #expect(bad.html.contains("title must not be empty"))
            #expect(try await server.count("SELECT count(*)::int FROM events") == 0)
            let created = try await olga.post(
                "/organizer/events",
                [("title", "Harbour Nights"), ("category", "music"), ("venue_id", venueID), ("starts_at", local),
                 ("ends_at", endLocal), ("description", "Brass")])
            let eventPath = try #require(created.location?.split(separator: "?").first.map(String.init))
            let eventID = String(eventPath.split(separator: "/").last!)
            #expect(try await olga.get(eventPath).html.contains("draft"))
            let noTypes = try await olga.post("\(eventPath)/publish")
            #expect(noTypes.status == 409 || noTypes.status == 422)
            let type = try await olga.post(
                "\(eventPath)/ticket-types", [("name", "Standard"), ("price", "25.50"), ("currency", "EUR"), ("capacity", "80")])
            #expect(type.status == 303)
            #expect(try await server.count("SELECT price_minor::int FROM ticket_types") == 2550)
            #expect(try await olga.post("\(eventPath)/publish").location == "\(eventPath)?notice=event_published")
            let page = try await olga.get(eventPath)
            #expect(page.html.contains("published") && page.html.contains("<svg class=\"chart\""))
            #expect(page.html.contains("0 / 80"))

            let code = try await olga.post("/organizer/venues/\(venueID)/enrollment-codes", [("name", "Gate A")])
            #expect(code.html.contains("Enrollment code"))

            // A conflict a node raised, listed and resolved with a note.
            try await server.sql(
                """
                INSERT INTO conflicts (id, kind, event_id, node_id, created_at)
                VALUES ('\(UUID().uuidString)', 'duplicate_admission', '\(eventID)', '\(UUID().uuidString)', now())
                """)
            let listed = try await olga.get(eventPath)
            let conflictID = try #require(listed.html.firstMatch(of: /data-conflict="([0-9a-f-]+)"/)?.1)
            #expect(listed.html.contains("Mark resolved"))
            let resolved = try await olga.post(
                "/organizer/conflicts/\(conflictID)/resolve", [("event_id", eventID), ("note", "Refunded the second guest")])
            #expect(resolved.location == "\(eventPath)?notice=conflict_resolved")
            let after = try await olga.get(eventPath)
            #expect(after.html.contains("Refunded the second guest"))
            #expect(try await server.count("SELECT count(*)::int FROM conflicts WHERE resolved_at IS NOT NULL") == 1)
            // Another organizer cannot see or resolve it.
            _ = try await server.register("eve@example.com", role: "organizer", password: "correct horse battery")
            let eve = try await signIn(server, email: "eve@example.com", password: "correct horse battery")
            #expect(try await eve.get(eventPath).status == 403)
            #expect(try await eve.post("/organizer/conflicts/\(conflictID)/resolve", [("event_id", eventID)]).status == 404)
        }
    }
}
