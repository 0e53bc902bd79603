import Crypto
import Foundation
@testable import SpotServer
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

/// The defects found by trying the server as an attacker would, each kept fixed.
@Suite("Hardening: redirects, CSRF, enrollment keys, time zones")
struct HardeningTests {
    @Test("After sign-in only same-site absolute paths are followed: no //host, no backslash, no control character")
    func redirectAllowlist() async throws {
        for hostile in [
            "//evil.example/x", "/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "/\\/evil.example", "https://evil.example",
            "evil.example", "/ok\u{7F}", "/caf\u{E9}", " /x", "",
        ] {
            #expect(AccountPages.safeNext(hostile) == "/", "\(hostile.debugDescription)")
        }
        #expect(AccountPages.safeNext(nil) == "/")
        for fine in ["/", "/wallet", "/events/1?page=2&q=jazz+blues", "/search?q=%C3%A9t%C3%A9", "/organizer/events/x#tickets"] {
            #expect(AccountPages.safeNext(fine) == fine)
        }
        try await TestServer.run { server in
            _ = try await server.register("fan@example.com")
            let web = try await server.signedInBrowser(email: "fan@example.com", password: "correct horse battery")
            for next in ["%2F%09%2Fevil.example%2F", "%2F%5Cevil.example", "%2F%2Fevil.example", "%2F%0D%0A%2Fevil.example"] {
                let page = try await web.get("/signin?next=\(next)")
                #expect(page.status == 303 && page.location == "/", "\(next) → \(page.location ?? "none")")
            }
            #expect(try await web.get("/signin?next=%2Fwallet").location == "/wallet")
        }
    }

    @Test("CSRF tokens are bound to the session: a chosen cookie and field, or another session's token, are refused")
    func csrfBoundToSession() async throws {
        try await TestServer.run { server in
            _ = try await server.register("ann@example.com")
            _ = try await server.register("bob@example.com")
            let ann = try await server.signedInBrowser(email: "ann@example.com", password: "correct horse battery")
            let bob = try await server.signedInBrowser(email: "bob@example.com", password: "correct horse battery")
            _ = try await ann.get("/account")
            _ = try await bob.get("/account")
            let save = [("display_name", "Changed"), ("phone", "")]
            // A pair the attacker chose (a cookie planted from a sibling site and the same field).
            await bob.setCookie("spot_csrf", "spot_cs_chosen")
            #expect(try await bob.post("/account/profile", save, csrf: "spot_cs_chosen").status == 403)
            // Ann's genuine token, planted in Bob's browser with the same field.
            let annToken = try #require(await ann.cookie("spot_csrf"))
            await bob.setCookie("spot_csrf", annToken)
            #expect(try await bob.post("/account/profile", save, csrf: annToken).status == 403)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE display_name = 'Changed'") == 0)
            // Bob's page gives him a token of his own again, which works.
            _ = try await bob.get("/account")
            #expect(await bob.cookie("spot_csrf") != annToken)
            #expect(try await bob.post("/account/profile", save).status == 303)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE display_name = 'Changed'") == 1)
            // A token seen before signing in does not survive the sign-in.
            let fresh = try server.browser()
            _ = try await fresh.get("/signin")
            let before = await fresh.cookie("spot_csrf")
            _ = try await fresh.post("/signin", [("email", "ann@example.com"), ("password", "correct horse battery")])
            #expect(await fresh.cookie("spot_csrf") != before)
        }
    }

    @Test("Enrollment refuses an issuer key or an enrolled key as a device key; nothing is enrolled")
    func enrollmentKeys() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType)  // the organizer's key ring starts
            let trust = try await server.api.get("/api/v1/organizers/\(sale.organizer)/trust")
            let issuerKey = try #require(trust.json["issuer_keys"][0]["public_key"].string)
            func enroll(_ key: String) async throws -> APIResponse {
                let code = try #require(try await server.api.post(
                    "/api/v1/venues/\(venue)/enrollment-codes", ["name": "Door"], token: sale.token).json["code"].string)
                return try await server.sync("enroll", EnrollRequest(code: code, devicePublicKey: key, name: "Door"))
            }
            let reserved = try await enroll(issuerKey)
            #expect(reserved.status == 409)
            #expect(reserved.errorCode == "device_key_reserved")
            let device = Data(SigningKey().publicKey.rawRepresentation).base64EncodedString()
            #expect(try await enroll(device).status == 201)
            #expect(try await enroll(device).errorCode == "device_key_enrolled")
            #expect(try await server.count("SELECT count(*)::int FROM nodes") == 1)
        }
    }

    @Test("Time zones are PostgreSQL's: one Foundation knows and PostgreSQL does not is a 422, not a 500")
    func timeZones() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("org@example.com", admin: admin)
            for zone in ["US/Pacific-New", "Mars/Olympus"] {
                let statistics = try await server.api.get(
                    "/api/v1/organizers/me/statistics?time_zone=\(zone.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                    token: token)
                #expect(statistics.status == 422, "\(zone): \(statistics.text)")
                let created = try await server.api.post(
                    "/api/v1/venues", ["name": "V", "city": "C", "address": "A", "time_zone": zone], token: token)
                #expect(created.status == 422, "\(zone): \(created.text)")
                let edited = try await server.api.patch("/api/v1/venues/\(venue)", ["time_zone": zone], token: token)
                #expect(edited.status == 422)
            }
            #expect(try await server.api.get("/api/v1/organizers/me/statistics?time_zone=America/Los_Angeles", token: token).status == 200)
        }
    }

    @Test("A card expiry with a huge year is a 422 (the fuzzer found it trapping the server)")
    func cardExpiry() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try #require(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).json["id"].string)
            for expiry in ["12/9223372036854775807", "12/-9223372036854775808", "99999999999999999999/30", "12/2030/1"] {
                let card: [String: any Sendable] = ["number": "4242 4242 4242 4242", "expiry": expiry, "cvc": "123"]
                let answer = try await server.checkout(token: buyer, booking: booking, card: card)
                #expect(answer.status == 422 && answer.json["error"]["fields"]["card.expiry"].string != nil, "\(expiry): \(answer.text)")
            }
            #expect(try await server.checkout(token: buyer, booking: booking).status == 200)
        }
    }

    @Test("A role, an event's status or a notification's channel read from the database that this server does not know is refused, never defaulted")
    func unknownStoredValues() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("org@example.com", admin: admin)
            let event = try await server.publishedEvent(token: token, venue: venue)
            let (buyer, buyerID, _) = try await server.register("ann@example.com")
            // What a newer server could write: values this one does not know.
            try await server.sql(
                "ALTER TABLE events DROP CONSTRAINT events_status_check",
                "UPDATE events SET status = 'archived' WHERE id = '\(event)'",
                "ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check",
                """
                INSERT INTO notifications (id, user_id, channel, kind, recipient, subject, body, status, next_attempt_at, created_at)
                VALUES (gen_random_uuid(), '\(buyerID)', 'pigeon', 'note', 'loft 7', 'Hello', 'Hello', 'dead', now(), now())
                """)
            let read = try await server.api.get("/api/v1/events/\(event)", token: token)
            #expect(read.status == 500 && read.errorCode == "internal_error", "an unknown status is not shown as a draft: \(read.text)")
            let notifications = try await server.api.get("/api/v1/me/notifications", token: buyer)
            #expect(notifications.status == 500 && notifications.errorCode == "internal_error", "\(notifications.text)")
            try await server.sql(
                "ALTER TABLE users DROP CONSTRAINT users_role_check",
                "UPDATE users SET role = 'superuser' WHERE id = '\(buyerID)'")
            try await eventually("the session of a user with an unknown role refused") {
                try await server.api.get("/api/v1/auth/me", token: buyer).status == 401
            }
            let login = try await server.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "correct horse battery"])
            #expect(login.status == 500 && login.json["access_token"].isNull, "signed in as an attendee? \(login.text)")
        }
    }
}
