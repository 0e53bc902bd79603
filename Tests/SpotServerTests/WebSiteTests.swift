import Foundation
import Logging
import PostgresNIO
@testable import SpotServer
import SpotTestSupport
import Testing

/// The server-rendered site over a real socket and database, without a browser: sessions
/// and their cookies, CSRF, escaping, rate-limited sign-in, checkout idempotency and the
/// friendly error pages. The real-browser journeys are in EndToEndTests/WebBrowserTests.
@Suite("Web site")
struct WebSiteTests {
    static let password = "correct horse battery"

    func web(_ server: TestServer) throws -> WebClient { try server.browser() }

    /// Signs up through the form; the client then holds the session cookie.
    func signUp(_ web: WebClient, email: String, name: String = "Fan") async throws -> WebPage {
        _ = try await web.get("/signup")
        return try await web.post(
            "/signup", [("display_name", name), ("email", email), ("password", Self.password)])
    }

    @Test("Pages render; unknown pages are a friendly 404; private pages send you to sign in")
    func pagesAndRedirects() async throws {
        try await TestServer.run { server in
            let web = try web(server)
            let home = try await web.get("/")
            #expect(home.status == 200)
            #expect(home.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(home.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(home.html.contains("Upcoming events"))
            let missing = try await web.get("/no-such-page")
            #expect(missing.status == 404)
            #expect(missing.html.contains("<h1>Not found</h1>"))
            let missingEvent = try await web.get("/events/\(UUID().uuidString)")
            #expect(missingEvent.status == 404)
            #expect(missingEvent.html.contains("Event not found."))
            let wallet = try await web.get("/wallet")
            #expect(wallet.status == 303)
            #expect(wallet.location == "/signin?next=%2Fwallet")
            // The API keeps answering JSON.
            let api = try await server.api.get("/api/v1/no-such-route")
            #expect(api.status == 404 && api.errorCode == "not_found")
            let css = try await web.get("/assets/site.css")
            #expect(css.status == 200 && css.html.contains("--brand"))
        }
    }

    @Test("Sign up sets a Secure, HttpOnly, SameSite session cookie; sign out ends the session everywhere")
    func sessionCookies() async throws {
        try await TestServer.run { server in
            let web = try web(server)
            let signedUp = try await signUp(web, email: "fan@example.com")
            #expect(signedUp.status == 303)
            #expect(signedUp.location == "/?notice=welcome")
            let sessionCookie = try #require(signedUp.setCookies.first { $0.hasPrefix("spot_session=") })
            for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
                #expect(sessionCookie.contains(attribute), "\(attribute) in \(sessionCookie)")
            }
            let csrfCookie = try #require(signedUp.setCookies.first { $0.hasPrefix("spot_csrf=") })
            #expect(csrfCookie.contains("SameSite=Strict") && csrfCookie.contains("HttpOnly"))
            let home = try await web.get("/?notice=welcome")
            #expect(home.html.contains("Welcome! Your account is ready."))
            #expect(home.html.contains(">Fan</a>"))
            #expect(try await web.get("/wallet").status == 200)
            // The token is stored only as a hash.
            let token = try #require(await web.cookie("spot_session"))
            #expect(try await server.count("SELECT count(*)::int FROM web_sessions WHERE token_hash = sha256('\(token)'::bytea)") == 1)

            let signedOut = try await web.post("/signout")
            #expect(signedOut.status == 303)
            #expect(await web.cookie("spot_session") == nil)
            // A stolen copy of the old cookie is worthless now.
            let thief = try self.web(server)
            await thief.setCookie("spot_session", token)
            let replay = try await thief.get("/wallet")
            #expect(replay.status == 303)
            #expect(try await server.count("SELECT count(*)::int FROM sessions WHERE revoked_reason = 'logout'") == 1)
        }
    }

    @Test("Forms without the CSRF token, with a wrong one, or from another origin are refused and change nothing")
    func csrf() async throws {
        try await TestServer.run { server in
            let web = try web(server)
            _ = try await web.get("/signup")
            let fields = [("display_name", "Eve"), ("email", "eve@example.com"), ("password", Self.password)]
            let wrong = try await web.post("/signup", fields, csrf: "spot_cs_forged")
            #expect(wrong.status == 403)
            #expect(wrong.html.contains("This form has expired"))
            let crossSite = try await web.post("/signup", fields, headers: [("Origin", "https://evil.example")])
            #expect(crossSite.status == 403)
            // A browser that never loaded a page of the site has no CSRF cookie at all.
            let fresh = try self.web(server)
            #expect(try await fresh.post("/signup", fields).status == 403)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE email = 'eve@example.com'") == 0)
            // The same form with the token and this site's origin works.
            let port = server.api.baseURL.split(separator: ":").last!
            let good = try await web.post("/signup", fields, headers: [("Origin", "http://localhost:\(port)")])
            #expect(good.status == 303)
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE email = 'eve@example.com'") == 1)
        }
    }

    @Test("Sign-in: wrong password is a clear message; after five counted attempts in a minute from one address, 429")
    func signInRateLimit() async throws {
        try await TestServer.run(configure: { $0.authRateLimit = RateLimitPolicy(attempts: 5, window: 60) }) { server in
            let web = try web(server)
            _ = try await server.register("fan@example.com", password: Self.password)
            _ = try await web.get("/signin?next=/wallet")
            // Registering was the address's first counted attempt; three wrong passwords make four (the right one is not counted).
            for _ in 1...3 {
                let wrong = try await web.post("/signin", [("email", "fan@example.com"), ("password", "nope nope nope"), ("next", "/wallet")])
                #expect(wrong.status == 401)
                #expect(wrong.html.contains("Wrong email or password."))
                #expect(wrong.html.contains(#"value="fan@example.com""#))
            }
            let right = try await web.post("/signin", [("email", "fan@example.com"), ("password", Self.password), ("next", "/wallet")])
            #expect(right.status == 303)
            #expect(right.location == "/wallet")
            let other = try self.web(server)
            _ = try await other.get("/signin")
            #expect(try await other.post("/signin", [("email", "fan@example.com"), ("password", "nope nope nope")]).status == 401)
            let limited = try await other.post("/signin", [("email", "fan@example.com"), ("password", Self.password)])
            #expect(limited.status == 429)
            #expect(limited.html.contains("Too many attempts"))
            #expect(limited.headers.first(name: "Retry-After") != nil)
            // An offsite `next` is ignored.
            #expect(AccountPages.safeNext("//evil.example/x") == "/")
        }
    }

    @Test("Event titles and search terms are escaped everywhere: script injection shows as text")
    func escaping() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (token, venue, _) = try await server.verifiedOrganizer("org@example.com", admin: admin)
            let title = #"<script>alert("pwned")</script> Jazz & Blues"#
            let event = try await server.publishedEvent(token: token, venue: venue, title: title)
            let web = try web(server)
            let page = try await web.get("/events/\(event)")
            #expect(page.status == 200)
            #expect(!page.html.contains("<script>alert"))
            #expect(page.html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; Jazz &amp; Blues"))
            let search = try await web.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E")
            #expect(search.status == 200)
            #expect(!search.html.contains("<script>alert(1)"))
            #expect(search.html.contains(#"value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;""#))
            let results = try await web.get("/search?q=jazz+blues")
            #expect(results.html.contains(#"value="jazz blues""#), "a form's + is a space")
            #expect(results.html.contains("Jazz &amp; Blues"))
            #expect(results.html.contains("<strong>25.00 EUR</strong>"), "the card's price carries its currency")
            #expect(!results.html.contains("<script>alert"))
        }
    }

    @Test("Checkout: a declined card releases the seats and offers a retry; a paid form sent twice charges once")
    func checkout() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (_, _, event, ticketType) = try await server.onSale(admin: admin, capacity: 10)
            let web = try web(server)
            _ = try await signUp(web, email: "buyer@example.com")
            let held = try await web.post("/events/\(event)/book", [("qty.\(ticketType)", "2")])
            #expect(held.status == 303)
            let checkoutPath = try #require(held.location)
            #expect(checkoutPath.hasSuffix("/checkout"))
            let form = try await web.get(checkoutPath)
            #expect(form.html.contains("Total: 50.00 EUR"))
            let bad = try await web.post(checkoutPath, [("card_number", "1234"), ("expiry", "13/99"), ("cvc", "x")])
            #expect(bad.status == 422)
            #expect(bad.html.contains("Card number is not a valid card number"))
            let formKey = try #require(form.field("idempotency_key"))
            let declined = try await web.post(
                checkoutPath, [("card_number", "4000 0000 0000 9995"), ("expiry", "12/39"), ("cvc", "123"), ("idempotency_key", formKey)])
            #expect(declined.status == 402)
            #expect(declined.html.contains("declined for insufficient funds"))
            #expect(declined.html.contains("Try again with another card"))
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 0)

            let bookingID = checkoutPath.split(separator: "/")[1]
            let retried = try await web.post("/bookings/\(bookingID)/retry")
            let secondCheckout = try #require(retried.location)
            #expect(secondCheckout != checkoutPath)
            let key = try #require(try await web.get(secondCheckout).field("idempotency_key"))
            let card = [("card_number", "4242 4242 4242 4242"), ("expiry", "12/39"), ("cvc", "123"), ("idempotency_key", key)]
            let paid = try await web.post(secondCheckout, card)
            let again = try await web.post(secondCheckout, card)
            #expect(paid.status == 303 && again.status == 303)
            #expect(paid.location?.hasSuffix("?notice=paid") == true)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions WHERE kind = 'charge'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == 2)
            let wallet = try await web.get("/wallet")
            #expect(wallet.html.components(separatedBy: "class=\"card wallet-ticket\"").count == 3)
            let qr = try await web.get(
                "/wallet/tickets/\(try #require(wallet.html.firstMatch(of: /data-ticket="([0-9a-f-]+)"/)?.1))/qr.png")
            #expect(qr.status == 200 && qr.headers.first(name: "Content-Type") == "image/png")
            // Someone else's ticket is not found for another account.
            let other = try self.web(server)
            _ = try await signUp(other, email: "other@example.com")
            let ticketID = try #require(wallet.html.firstMatch(of: /data-ticket="([0-9a-f-]+)"/)?.1)
            #expect(try await other.get("/wallet/tickets/\(ticketID)/qr.png").status == 404)
            #expect(try await other.get("/bookings/\(bookingID)").status == 404)
            let history = try await web.get("/bookings")
            #expect(history.html.contains("Payment") && history.html.contains("50.00 EUR"))
        }
    }

    @Test("Account: name and phone edited (a bad phone changes nothing), notifications listed; wallet: a new QR code revokes the old")
    func accountAndReissue() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let (_, _, event, ticketType) = try await server.onSale(admin: admin, capacity: 10)
            let web = try web(server)
            _ = try await signUp(web, email: "fan@example.com")
            let badPhone = try await web.post("/account/profile", [("display_name", "Robin"), ("phone", "0170 123")])
            #expect(badPhone.status == 422 && badPhone.html.contains("phone must be an international number"))
            #expect(badPhone.html.contains(#"value="0170 123""#), "the form keeps what was typed")
            #expect(try await server.count("SELECT count(*)::int FROM users WHERE display_name = 'Robin'") == 0)
            let saved = try await web.post("/account/profile", [("display_name", "Robin"), ("phone", "+49 170 1234567")])
            #expect(saved.location == "/account?notice=details_saved")
            let account = try await web.get("/account")
            #expect(account.html.contains(#"value="+491701234567""#) && account.html.contains(#"value="Robin""#))
            #expect(account.html.contains("Nothing sent to you yet."))

            let token = try #require(
                try await server.api.post("/api/v1/auth/login", ["email": "fan@example.com", "password": Self.password])
                    .json["access_token"].string)
            _ = try await server.buy(token: token, event: event, ticketType: ticketType)
            #expect(try await web.get("/account").html.contains("<table id=\"notifications\">"), "the confirmation is listed")

            let wallet = try await web.get("/wallet")
            let ticket = try #require(wallet.html.firstMatch(of: /data-ticket="([0-9a-f-]+)"/)?.1).description
            let before = try await server.count("SELECT issue_version FROM tickets WHERE id = '\(ticket)'")
            #expect(try await web.post("/wallet/tickets/\(ticket)/reissue").location == "/wallet?notice=reissued")
            #expect(try await server.count("SELECT issue_version FROM tickets WHERE id = '\(ticket)'") == before + 1)
            #expect(try await server.count("SELECT count(*)::int FROM revocations WHERE ticket_id = '\(ticket)' AND reason = 'reissued'") == 1)
            #expect(try await web.get("/wallet?notice=reissued").html.contains("the old one no longer admits"))
            // Someone else cannot re-issue it.
            let other = try self.web(server)
            _ = try await signUp(other, email: "other@example.com")
            #expect(try await other.post("/wallet/tickets/\(ticket)/reissue").status == 404)
            #expect(try await server.count("SELECT issue_version FROM tickets WHERE id = '\(ticket)'") == before + 1)
        }
    }

    @Test("With the database gone, a page is a clear 503 page with a retry, not a stack trace")
    func databaseDown() async throws {
        try await TestServer.run(configure: { $0.databaseDeadline = .seconds(3) }) { server in
            let web = try web(server)
            try await TestDatabase.withClient(try TestDatabase.adminConfiguration(), logger: Logger(label: "test")) { admin in
                try await admin.query(
                    "DROP DATABASE \(unescaped: server.database.database) WITH (FORCE)", logger: Logger(label: "test"))
            }
            let page = try await web.get("/")
            #expect(page.status == 503)
            #expect(page.html.contains("Temporarily unavailable"))
            #expect(page.html.contains("data-retry"))
            #expect(!page.html.contains("Postgres") && !page.html.contains(server.database.database))
            #expect(page.headers.first(name: "Retry-After") == "5")
        }
    }
}
