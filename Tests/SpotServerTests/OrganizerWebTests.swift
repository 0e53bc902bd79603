import Foundation
import Logging
@testable import SpotServer
import SpotTestSupport
import Testing

/// The organizer's and admin's pages over a real socket and database.
@Suite("Organizer web pages")
struct OrganizerWebTests {
    func signIn(_ server: TestServer, email: String, password: String) async throws -> WebClient {
        try await server.signedInBrowser(email: email, password: password)
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

    /// An organizer's event id and path from the redirect after creating it.
    func createEvent(_ web: WebClient, venue: String, title: String, startsIn days: Double = 10) async throws -> String {
        let start = Date().addingTimeInterval(days * 86_400)
        let created = try await web.post(
            "/organizer/events",
            [("title", title), ("category", "music"), ("venue_id", venue),
             ("starts_at", Formatting.localInput(start, timeZone: "Europe/Berlin")),
             ("ends_at", Formatting.localInput(start.addingTimeInterval(3 * 3600), timeZone: "Europe/Berlin"))])
        let path = try #require(created.location?.split(separator: "?").first.map(String.init), "\(created.html)")
        return String(path.split(separator: "/").last!)
    }

    @Test("Edit an event, edit and delete ticket types, delete a draft; edit and delete venues; bad input changes nothing")
    func editAndDelete() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (_, venue, _) = try await server.verifiedOrganizer("olga@example.com", admin: admin)
            let olga = try await signIn(server, email: "olga@example.com", password: "correct horse battery")
            let event = try await createEvent(olga, venue: venue, title: "Harbour Nights")
            let path = "/organizer/events/\(event)"

            let form = try await olga.get("\(path)/edit")
            #expect(form.html.contains(#"value="Harbour Nights""#))
            let starts = try #require(form.html.firstMatch(of: /name="starts_at" value="([^"]+)"/)?.1).description
            let ends = try #require(form.html.firstMatch(of: /name="ends_at" value="([^"]+)"/)?.1).description
            let fields = { (title: String, startsAt: String) in
                [("title", title), ("category", "music"), ("venue_id", venue), ("starts_at", startsAt), ("ends_at", ends),
                 ("description", "Brass and <b>bold</b>"), ("reentry_policy", "reentry_after_exit")]
            }
            let past = try await olga.post(path, fields("Harbour Nights", "2020-01-01T20:00"))
            #expect(past.status == 422)
            #expect(past.html.contains("starts at must be in the future"))
            let garbled = try await olga.post(path, fields("Harbour Nights", "tomorrow-ish"))
            #expect(garbled.status == 422 && garbled.html.contains("starts at must be a date and time"))
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE title = 'Harbour Nights' AND reentry_policy = 'single_entry'") == 1)
            let saved = try await olga.post(path, fields("Harbour Nights II", starts))
            #expect(saved.location == "\(path)?notice=event_saved", "\(saved.html)")
            #expect(try await server.count("SELECT count(*)::int FROM events WHERE title = 'Harbour Nights II' AND reentry_policy = 'reentry_after_exit'") == 1)
            #expect(try await olga.get("\(path)/edit").html.contains("Brass and &lt;b&gt;bold&lt;/b&gt;"))

            #expect(try await olga.post("\(path)/ticket-types", [("name", "Standard"), ("price", "25"), ("currency", "EUR"), ("capacity", "80")]).status == 303)
            #expect(try await olga.post("\(path)/ticket-types", [("name", "Extra"), ("price", "5"), ("currency", "EUR"), ("capacity", "10")]).status == 303)
            let page = try await olga.get(path)
            let typeIDs = page.html.matches(of: /href="\/organizer\/ticket-types\/([0-9a-f-]+)"/).map { String($0.1) }
            #expect(typeIDs.count == 2)
            let typePath = "/organizer/ticket-types/\(typeIDs[0])"
            let typeForm = try await olga.get(typePath)
            #expect(typeForm.html.contains("Delete this ticket type"))
            let badPrice = try await olga.post(typePath, [("name", "Standard"), ("price", "lots"), ("currency", "EUR"), ("capacity", "80")])
            #expect(badPrice.status == 422 && badPrice.html.contains("price must be an amount"))
            let badWindow = try await olga.post(
                typePath, [("name", "Standard"), ("price", "25"), ("currency", "EUR"), ("capacity", "80"), ("sales_end", "2099-01-01T00:00")])
            #expect(badWindow.status == 422 && badWindow.html.contains("sales end must not be after the event ends"))
            let edited = try await olga.post(
                typePath, [("name", "Early bird"), ("price", "19.50"), ("currency", "eur"), ("capacity", "60"), ("sales_end", starts)])
            #expect(edited.location == "\(path)?notice=ticket_type_saved", "\(edited.html)")
            #expect(try await server.count("SELECT count(*)::int FROM ticket_types WHERE name = 'Early bird' AND price_minor = 1950 AND capacity = 60 AND sales_end IS NOT NULL") == 1)
            #expect(try await olga.post("/organizer/ticket-types/\(typeIDs[1])/delete").location == "\(path)?notice=ticket_type_deleted")
            #expect(try await server.count("SELECT count(*)::int FROM ticket_types") == 1)

            // Another organizer sees none of it.
            _ = try await server.register("eve@example.com", role: "organizer", password: "correct horse battery")
            let eve = try await signIn(server, email: "eve@example.com", password: "correct horse battery")
            #expect(try await eve.get(typePath).status == 404)
            #expect(try await eve.post("\(typePath)/delete").status == 404)
            #expect(try await eve.post("\(path)/delete").status == 404, "another organizer's draft does not exist for her")
            #expect(try await server.count("SELECT count(*)::int FROM ticket_types") == 1)

            // Published: ticket types stay, the event cannot be deleted, only cancelled.
            #expect(try await olga.post("\(path)/publish").status == 303)
            let kept = try await olga.post("\(typePath)/delete")
            #expect(kept.status == 409 && kept.html.contains("cannot be deleted"))
            let notDraft = try await olga.post("\(path)/delete")
            #expect(notDraft.status == 409 && notDraft.html.contains("Only drafts can be deleted"))
            let draft = try await createEvent(olga, venue: venue, title: "Scratch")
            #expect(try await olga.post("/organizer/events/\(draft)/delete").location == "/organizer?notice=event_deleted")
            #expect(try await server.count("SELECT count(*)::int FROM events") == 1)

            // Venues: a bad time zone changes nothing; one in use stays; an unused one goes.
            let venuePath = "/organizer/venues/\(venue)"
            let badZone = try await olga.post(venuePath, [("name", "Hall"), ("city", "Kiel"), ("address", "A 1"), ("time_zone", "Mars/Olympus")])
            #expect(badZone.status == 422 && badZone.html.contains("time zone must be an IANA time zone"))
            #expect(badZone.html.contains(#"value="Mars/Olympus""#), "the form keeps what was typed")
            #expect(try await olga.post(venuePath, [("name", "Harbour Hall"), ("city", "Kiel"), ("address", "Kai 2"), ("time_zone", "Europe/Berlin")]).location == "\(venuePath)?notice=venue_saved")
            #expect(try await server.count("SELECT count(*)::int FROM venues WHERE city = 'Kiel'") == 1)
            let inUse = try await olga.post("\(venuePath)/delete")
            #expect(inUse.status == 409 && inUse.html.contains("Events use this venue"))
            let spare = try await olga.post("/organizer/venues", [("name", "Spare"), ("city", "Kiel"), ("address", "B 2"), ("time_zone", "Europe/Berlin")])
            let spareID = try #require(spare.location?.split(separator: "?").first?.split(separator: "/").last.map(String.init))
            _ = try await olga.post("/organizer/venues/\(spareID)/enrollment-codes", [("name", "Door")])
            #expect(try await olga.post("/organizer/venues/\(spareID)/delete").location == "/organizer?notice=venue_deleted")
            #expect(try await server.count("SELECT count(*)::int FROM venues") == 1)
        }
    }

    @Test("An attendee becomes an organizer, edits the profile, adds door staff, reads the audit trail")
    func profileStaffAudit() async throws {
        try await TestServer.run { server in
            _ = try await server.register("olga@example.com", password: "correct horse battery")
            let olga = try await signIn(server, email: "olga@example.com", password: "correct horse battery")
            #expect(try await olga.get("/account").html.contains("Become an organizer"))
            #expect(try await olga.get("/organizer").location == "/organizer/profile")
            let bad = try await olga.post("/organizer/profile", [("name", ""), ("website", "ftp://x")])
            #expect(bad.status == 422 && bad.html.contains("website must be an http(s) URL"))
            #expect(try await server.count("SELECT count(*)::int FROM organizers") == 0)
            let created = try await olga.post("/organizer/profile", [("name", "Olga Live"), ("description", "Concerts")])
            #expect(created.location == "/organizer?notice=organizer_created")
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE role = 'organizer'") == 1)
            #expect(try await olga.get("/organizer").html.contains("Olga Live"))
            let edited = try await olga.post(
                "/organizer/profile", [("name", "Olga Live"), ("description", "Concerts"), ("website", "https://olga.example")])
            #expect(edited.location == "/organizer/profile?notice=profile_saved")
            #expect(try await olga.get("/organizer/profile").html.contains(#"value="https://olga.example""#))

            let short = try await olga.post("/organizer/staff", [("display_name", "Sam"), ("email", "sam@example.com"), ("password", "short")])
            #expect(short.status == 422 && short.html.contains("password must be at least 10 characters"))
            #expect(!short.html.contains(#"value="short""#), "a password is never echoed")
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE role = 'staff'") == 0)
            let staff = try await olga.post(
                "/organizer/staff", [("display_name", "Sam"), ("email", "sam@example.com"), ("password", "door password 1")])
            #expect(staff.location == "/organizer/staff?notice=staff_created")
            let taken = try await olga.post(
                "/organizer/staff", [("display_name", "Sam"), ("email", "SAM@example.com"), ("password", "door password 1")])
            #expect(taken.status == 409 && taken.html.contains("already exists"))
            let list = try await olga.get("/organizer/staff")
            #expect(list.html.contains("sam@example.com"))
            // The staff account signs in and can check tickets in, not manage anything.
            let sam = try await signIn(server, email: "sam@example.com", password: "door password 1")
            #expect(try await sam.get("/organizer").status == 403)

            // API tokens for her own tools: shown once, usable at once, revocable.
            #expect(try await olga.post("/account/tokens", [("name", "")]).status == 422)
            let newToken = try await olga.post("/account/tokens", [("name", "Box-office export")])
            let secret = try #require(newToken.html.firstMatch(of: /id="new-token">[^<]*<strong><code>([^<]+)<\/code>/)?.1).description
            #expect(try await server.api.get("/api/v1/organizers/me", token: secret).status == 200)
            let tokens = try await olga.get("/account/tokens")
            #expect(tokens.html.contains("Box-office export") && !tokens.html.contains(secret), "the secret is shown only once")
            let tokenID = try #require(tokens.html.firstMatch(of: /data-token="([0-9a-f-]+)"/)?.1).description
            #expect(try await olga.post("/account/tokens/\(tokenID)/revoke").location == "/account/tokens?notice=token_revoked")
            #expect(try await server.api.get("/api/v1/organizers/me", token: secret).status == 401)
            #expect(try await sam.get("/account/tokens").status == 403, "door staff have no API tokens")

            let audit = try await olga.get("/organizer/audit")
            #expect(audit.html.contains("staff.create") && audit.html.contains("organizer.update"))
            #expect(audit.html.contains("https://olga.example"))
            #expect(try await olga.get("/organizer/audit?before=abc").status == 400)

            // Deleting the profile ends the staff's assignment and makes Olga an attendee again.
            let deleted = try await olga.post("/organizer/profile/delete")
            #expect(deleted.location == "/account?notice=organizer_deleted", "\(deleted.html)")
            #expect(try await server.count("SELECT count(*)::int FROM staff_assignments") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE role = 'attendee'") == 1)
        }
    }

    @Test("Sales list every payment; the organizer refunds one ticket, then the rest; a double submit refunds once")
    func salesAndRefunds() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (_, _, event, ticketType) = try await server.onSale(admin: admin, capacity: 10)
            let buyer = try await server.register("fan@example.com")
            let booking = try #require(try await server.buy(token: buyer.token, event: event, ticketType: ticketType, quantity: 2)["id"].string)
            let org = try await signIn(server, email: "org@example.com", password: "correct horse battery")
            #expect(try await org.get("/organizer").html.contains(#"id="tickets-sold">2<"#), "the dashboard counts the sale")
            let sales = try await org.get("/organizer/sales")
            #expect(sales.html.contains("50.00 EUR") && sales.html.contains("/organizer/bookings/\(booking)"))

            let page = try await org.get("/organizer/bookings/\(booking)")
            let tickets = page.html.matches(of: /name="ticket_id" value="([0-9a-f-]+)"/).map { String($0.1) }
            #expect(tickets.count == 2)
            let key = try #require(page.field("idempotency_key"))
            let foreign = try await org.post(
                "/organizer/bookings/\(booking)/refunds", [("ticket_id", UUID().uuidString), ("idempotency_key", key)])
            #expect(foreign.status == 422)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions WHERE kind = 'refund'") == 0)
            let one = try await org.post("/organizer/bookings/\(booking)/refunds", [("ticket_id", tickets[0]), ("idempotency_key", key)])
            #expect(one.location == "/organizer/bookings/\(booking)?notice=refunded")
            let twice = try await org.post("/organizer/bookings/\(booking)/refunds", [("ticket_id", tickets[0]), ("idempotency_key", key)])
            #expect(twice.status == 422, "the ticket is refunded already")
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions WHERE kind = 'refund'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE status = 'revoked'") == 1)
            let restKey = try #require(try await org.get("/organizer/bookings/\(booking)").field("idempotency_key"))
            let rest = try await org.post("/organizer/bookings/\(booking)/refunds", [("idempotency_key", restKey)])
            #expect(rest.status == 303)
            let after = try await org.get("/organizer/bookings/\(booking)")
            #expect(after.html.contains(#"refunded <span id="booking-refunded">50.00 EUR</span>"#))
            #expect(after.html.contains(#"id="booking-status">refunded<"#))
            #expect(!after.html.contains(#"name="ticket_id""#), "nothing is left to refund")
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE status = 'revoked'") == 2)
            #expect(try await org.get("/organizer/sales").html.contains("Refund"))
            // The buyer cannot reach the organizer's view of the booking.
            let fan = try await signIn(server, email: "fan@example.com", password: "correct horse battery")
            #expect(try await fan.get("/organizer/bookings/\(booking)").status == 403)
            #expect(try await fan.post("/organizer/bookings/\(booking)/refunds").status == 403)
        }
    }

    @Test("Online check-in in the browser: admit once, then already admitted; bad codes are red; staff may, attendees may not")
    func checkIn() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (_, _, event, ticketType) = try await server.onSale(admin: admin, capacity: 10)
            let buyer = try await server.register("fan@example.com")
            _ = try await server.buy(token: buyer.token, event: event, ticketType: ticketType, quantity: 2)
            let payloads = try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client in
                let rows = try await client.query("SELECT payload FROM tickets ORDER BY id", logger: Logger(label: "t"))
                var all: [String] = []
                for try await payload in rows.decode(String.self) { all.append(payload) }
                return all
            }
            #expect(payloads.count == 2)
            let org = try await signIn(server, email: "org@example.com", password: "correct horse battery")
            #expect(try await org.get("/check-in").html.contains("Ticket code"))
            let first = try await org.post("/check-in", [("payload", payloads[0]), ("gate", "North"), ("direction", "entry")])
            #expect(first.status == 200 && first.html.contains("signal-green") && first.html.contains("Admit"), "\(first.html)")
            let second = try await org.post("/check-in", [("payload", payloads[0]), ("gate", "South")])
            #expect(second.html.contains("already admitted") && second.html.contains("Do not admit"))
            #expect(second.html.contains(#"value="South""#), "the gate stays for the next scan")
            let garbage = try await org.post("/check-in", [("payload", "<script>alert(1)</script>"), ("gate", "North")])
            #expect(garbage.html.contains("signal-red") && !garbage.html.contains("<script>alert"))
            let noGate = try await org.post("/check-in", [("payload", payloads[1]), ("gate", "")])
            #expect(noGate.status == 422 && noGate.html.contains("gate must be 1 to 100 characters"))
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE ticket_id IS NOT NULL AND verdict = 'ok'") == 1)

            // Door staff of this organizer check in too; an attendee may not.
            #expect(try await org.post(
                "/organizer/staff", [("display_name", "Sam"), ("email", "sam@example.com"), ("password", "door password 1")]
            ).status == 303)
            let sam = try await signIn(server, email: "sam@example.com", password: "door password 1")
            #expect(try await sam.get("/").html.contains(#"href="/check-in""#))
            let bySam = try await sam.post("/check-in", [("payload", payloads[1]), ("gate", "North")])
            #expect(bySam.html.contains("signal-green"), "\(bySam.html)")
            let fan = try await signIn(server, email: "fan@example.com", password: "correct horse battery")
            #expect(try await fan.get("/check-in").status == 403)
            #expect(try await fan.post("/check-in", [("payload", payloads[1]), ("gate", "North")]).status == 403)
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE verdict = 'ok'") == 2)
        }
    }
}
