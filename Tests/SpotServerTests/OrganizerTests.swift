import Foundation
import SpotTestSupport
import Testing

@Suite("Organizers, venues and the audit trail")
struct OrganizerTests {
    @Test("Profile CRUD with an audit entry per change, naming who, what and when")
    func profileAndAudit() async throws {
        try await TestServer.run { server in
            let (token, userID, _) = try await server.register("fan@example.com")
            let created = try await server.api.post(
                "/api/v1/organizers", ["name": "Harbour Events", "website": "https://harbour.example"], token: token)
            #expect(created.status == 201)
            #expect(created.json["verified"].bool == false)
            // The account is an organizer now; the old access token still carries the old role claim but the
            // role is read from the database on every request.
            let me = try await server.api.get("/api/v1/auth/me", token: token)
            #expect(me.json["role"].string == "organizer")

            let updated = try await server.api.patch(
                "/api/v1/organizers/me", ["description": "Concerts by the water", "website": ""], token: token)
            #expect(updated.json["description"].string == "Concerts by the water")
            #expect(updated.json["website"].isNull)
            let bad = try await server.api.patch("/api/v1/organizers/me", ["website": "ftp://nope", "name": ""], token: token)
            #expect(bad.status == 422)
            #expect(Set(bad.json["error"]["fields"].object.keys) == ["website", "name"])

            let audit = try await server.api.get("/api/v1/organizers/me/audit", token: token)
            let entries = audit.json["items"].array
            #expect(entries.map { $0["action"].string } == ["organizer.update", "organizer.create"])
            #expect(entries[0]["actor_user_id"].string == userID)
            #expect(entries[0]["changes"]["description"]["from"].string == "")
            #expect(entries[0]["changes"]["description"]["to"].string == "Concerts by the water")
            #expect(entries[0]["changes"]["website"]["from"].string == "https://harbour.example")
            #expect(entries[0]["changes"]["website"]["to"].isNull)
            #expect(entries[0]["changes"]["name"].isNull, "unchanged fields are not recorded")

            let organizerID = try #require(created.json["id"].string)
            #expect(try await server.api.get("/api/v1/organizers/\(organizerID)").json["name"].string == "Harbour Events")

            let venue = try await server.createVenue(token: token)
            #expect(try await server.api.delete("/api/v1/organizers/me", token: token).errorCode == "organizer_not_empty")
            #expect(try await server.api.delete("/api/v1/venues/\(venue)", token: token).status == 204)
            #expect(try await server.api.delete("/api/v1/organizers/me", token: token).status == 204)
            #expect(try await server.api.get("/api/v1/auth/me", token: token).json["role"].string == "attendee")
        }
    }

    @Test("Admins list, verify and audit; event changes are audited with before and after")
    func adminAndEventAudit() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, _, _) = try await server.register("org@example.com", role: "organizer")
            let pending = try await server.api.get("/api/v1/admin/organizers?verified=false", token: admin)
            #expect(pending.json["items"].array.count == 1)
            let organizer = try #require(pending.json["items"][0]["id"].string)
            _ = try await server.api.post("/api/v1/admin/organizers/\(organizer)/verify", token: admin)
            #expect(try await server.api.get("/api/v1/admin/organizers?verified=false", token: admin).json["items"].array.isEmpty)

            let venue = try await server.createVenue(token: token)
            let event = try await server.createEvent(token: token, venue: venue, title: "Old title")
            _ = try await server.api.patch("/api/v1/events/\(event)", ["title": "New title"], token: token)
            let trail = try await server.api.get("/api/v1/admin/audit?limit=2", token: admin)
            #expect(trail.json["items"][0]["action"].string == "event.update")
            #expect(trail.json["items"][0]["changes"]["title"]["from"].string == "Old title")
            #expect(trail.json["items"][0]["changes"]["title"]["to"].string == "New title")
            let before = try #require(trail.json["next_before"].int)
            let older = try await server.api.get("/api/v1/admin/audit?before=\(before)", token: admin)
            #expect(older.json["items"].array.allSatisfy { ($0["id"].int ?? .max) < before })
            #expect(older.json["items"].array.contains { $0["action"].string == "organizer.verify" })
        }
    }

    @Test("Venue validation: an unknown time zone is refused")
    func venueValidation() async throws {
        try await TestServer.run { server in
            let (token, _, _) = try await server.register("org@example.com", role: "organizer")
            let response = try await server.api.post(
                "/api/v1/venues", ["name": "V", "city": "C", "address": "A", "time_zone": "Mars/Olympus"], token: token)
            #expect(response.status == 422)
            #expect(response.json["error"]["fields"]["time_zone"].string?.contains("IANA") == true)
        }
    }
}
