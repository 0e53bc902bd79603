import Foundation
import SpotTestSupport
import Testing

/// Every write is checked against role and ownership. The original system's failure —
/// ticket creation blocked by a missing authorization rule — is the first row here.
@Suite("Authorization matrix")
struct AuthorizationTests {
    @Test("The owning verified organizer creates ticket types and publishes")
    func ownerCanSell() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let event = try await server.createEvent(token: token, venue: venue)
            let created = try await server.api.post(
                "/api/v1/events/\(event)/ticket-types",
                ["name": "Standard", "price_minor": 2500, "currency": "eur", "capacity": 50], token: token)
            #expect(created.status == 201)
            #expect(created.json["currency"].string == "EUR")
            #expect(try await server.api.post("/api/v1/events/\(event)/publish", token: token).json["status"].string == "published")
            let listed = try await server.api.get("/api/v1/events/\(event)/ticket-types")
            #expect(listed.json["items"].array.count == 1)
        }
    }

    @Test("Organizer B cannot touch organizer A's events, venues or ticket types; nothing changes")
    func otherOrganizer() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (a, venueA, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let (b, venueB, _) = try await server.verifiedOrganizer("b@example.com", admin: admin)
            let draft = try await server.createEvent(token: a, venue: venueA, title: "A's draft")
            let published = try await server.publishedEvent(token: a, venue: venueA, title: "A's show")
            let ticketType = try #require(
                try await server.api.get("/api/v1/events/\(published)/ticket-types").json["items"][0]["id"].string)
            let auditBefore = try await server.count("SELECT count(*)::int FROM audit_log")

            // A draft of someone else is invisible: 404, as if it did not exist.
            for response in [
                try await server.api.get("/api/v1/events/\(draft)", token: b),
                try await server.api.patch("/api/v1/events/\(draft)", ["title": "Mine now"], token: b),
                try await server.api.delete("/api/v1/events/\(draft)", token: b),
                try await server.api.post("/api/v1/events/\(draft)/ticket-types",
                                          ["name": "X", "price_minor": 1, "currency": "EUR", "capacity": 1], token: b),
            ] {
                #expect(response.status == 404)
            }
            // A published event is visible but not B's: 403.
            for response in [
                try await server.api.patch("/api/v1/events/\(published)", ["title": "Mine now"], token: b),
                try await server.api.post("/api/v1/events/\(published)/cancel", token: b),
                try await server.api.post("/api/v1/events/\(published)/publish", token: b),
                try await server.api.post("/api/v1/events/\(published)/ticket-types",
                                          ["name": "X", "price_minor": 1, "currency": "EUR", "capacity": 1], token: b),
                try await server.api.patch("/api/v1/ticket-types/\(ticketType)", ["price_minor": 1], token: b),
                try await server.api.delete("/api/v1/ticket-types/\(ticketType)", token: b),
            ] {
                #expect(response.status == 403, "\(response.text)")
                #expect(response.errorCode == "forbidden")
            }
            // Venues are private to their organizer.
            #expect(try await server.api.get("/api/v1/venues/\(venueA)", token: b).status == 404)
            #expect(try await server.api.patch("/api/v1/venues/\(venueA)", ["name": "Mine"], token: b).status == 404)
            #expect(try await server.api.delete("/api/v1/venues/\(venueA)", token: b).status == 404)
            // B cannot put an event in A's venue.
            let start = Date().addingTimeInterval(86_400 * 10)
            let intoForeignVenue = try await server.api.post(
                "/api/v1/events",
                ["venue_id": venueA, "category": "music", "title": "Squat", "starts_at": start.formatted(.iso8601),
                 "ends_at": start.addingTimeInterval(3600).formatted(.iso8601)], token: b)
            #expect(intoForeignVenue.status == 422)
            #expect(intoForeignVenue.json["error"]["fields"]["venue_id"].string != nil)
            _ = venueB

            // Nothing was written.
            #expect(try await server.count("SELECT count(*)::int FROM audit_log") == auditBefore)
            let event = try await server.api.get("/api/v1/events/\(published)")
            #expect(event.json["title"].string == "A's show")
            #expect(event.json["status"].string == "published")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE title = 'Squat'") == 0)
        }
    }

    @Test("An attendee cannot create events, venues or ticket types, nor use the admin API")
    func attendee() async throws {
        try await TestServer.run { server in
            let (attendee, _, _) = try await server.register("att@example.com")
            let start = Date().addingTimeInterval(86_400)
            let event = try await server.api.post(
                "/api/v1/events", ["venue_id": UUID().uuidString, "category": "music", "title": "Mine",
                                   "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(60).formatted(.iso8601)],
                token: attendee)
            #expect(event.status == 403)
            #expect(try await server.api.post("/api/v1/venues", ["name": "V", "city": "C", "address": "A", "time_zone": "UTC"],
                                              token: attendee).status == 403)
            #expect(try await server.api.get("/api/v1/admin/organizers", token: attendee).status == 403)
            #expect(try await server.api.post("/api/v1/admin/organizers/\(UUID())/verify", token: attendee).status == 403)
            #expect(try await server.count("SELECT count(*)::int FROM events") == 0)
        }
    }

    @Test("An unverified organizer drafts but cannot publish until an admin verifies them")
    func unverified() async throws {
        try await TestServer.run { server in
            let (token, _, _) = try await server.register("new@example.com", role: "organizer")
            let venue = try await server.createVenue(token: token)
            let event = try await server.createEvent(token: token, venue: venue)
            #expect(try await server.api.post("/api/v1/events/\(event)/ticket-types",
                                              ["name": "S", "price_minor": 0, "currency": "EUR", "capacity": 10],
                                              token: token).status == 201)
            let refused = try await server.api.post("/api/v1/events/\(event)/publish", token: token)
            #expect(refused.status == 403)
            #expect(refused.errorCode == "organizer_not_verified")
            #expect(try await server.api.get("/api/v1/events/\(event)", token: token).json["status"].string == "draft")

            let admin = try await server.admin()
            let organizer = try #require(try await server.api.get("/api/v1/organizers/me", token: token).json["id"].string)
            #expect(try await server.api.post("/api/v1/admin/organizers/\(organizer)/verify", token: admin).json["verified"].bool == true)
            #expect(try await server.api.post("/api/v1/events/\(event)/publish", token: token).status == 200)
        }
    }

    @Test("Without a token writes are 401; a revoked token is 401 too")
    func anonymousAndRevoked() async throws {
        try await TestServer.run { server in
            #expect(try await server.api.post("/api/v1/venues", ["name": "V"]).status == 401)
            #expect(try await server.api.post("/api/v1/events", ["title": "T"]).status == 401)
            let (token, _, _) = try await server.register("org@example.com", role: "organizer")
            _ = try await server.api.post("/api/v1/auth/logout", token: token)
            let response = try await server.api.post(
                "/api/v1/venues", ["name": "V", "city": "C", "address": "A", "time_zone": "UTC"], token: token)
            #expect(response.status == 401)
            #expect(try await server.count("SELECT count(*)::int FROM venues") == 0)
        }
    }

    @Test("Admins cancel any event; drafts stay hidden from others")
    func admin() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (a, venue, _) = try await server.verifiedOrganizer("a@example.com", admin: admin)
            let published = try await server.publishedEvent(token: a, venue: venue)
            let draft = try await server.createEvent(token: a, venue: venue, title: "Secret plans")
            #expect(try await server.api.get("/api/v1/events/\(draft)").status == 404)
            #expect(try await server.api.get("/api/v1/events/\(draft)", token: admin).status == 200)
            let cancelled = try await server.api.post("/api/v1/events/\(published)/cancel", token: admin)
            #expect(cancelled.json["status"].string == "cancelled")
            let edit = try await server.api.patch("/api/v1/events/\(published)", ["title": "Back on"], token: a)
            #expect(edit.status == 409)
        }
    }
}
