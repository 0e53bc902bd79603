import Crypto
import Foundation
import Logging
@testable import SpotServer
import SpotTestSupport
import Testing

/// Money cannot be fooled: an idempotency key pays or refunds only the request it was made for,
/// and what the gateway charged and refunded always equals what the server recorded.
@Suite("Money paths")
struct MoneyPathTests {
    /// A cheap ticket type (1.00 EUR) and a dear one (1,000.00 EUR) of one published event.
    func cheapAndDear(_ server: TestServer) async throws -> (event: String, cheap: String, dear: String, organizer: String) {
        let admin = try await server.admin()
        let sale = try await server.onSale(admin: admin, price: 100)
        let dear = try await server.api.post(
            "/api/v1/events/\(sale.event)/ticket-types",
            ["name": "Patron", "price_minor": 100_000, "currency": "EUR", "capacity": 50], token: sale.token)
        return (sale.event, sale.ticketType, try #require(dear.json["id"].string, "\(dear.text)"), sale.token)
    }

    /// Σ charges at the gateway = Σ recorded charges = Σ paid bookings; Σ gateway refunds = Σ recorded refunds.
    func expectMoneyAddsUp(_ server: TestServer, charged: Int, refunded: Int, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let gatewayCharges = try await server.count(
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM simulated_gateway_operations WHERE kind = 'charge' AND outcome = 'succeeded'")
        let recordedCharges = try await server.count(
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM payment_transactions WHERE kind = 'charge'")
        let paidBookings = try await server.count(
            "SELECT coalesce(sum(total_minor), 0)::bigint FROM bookings WHERE status IN ('paid', 'refunded')")
        let gatewayRefunds = try await server.count(
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM simulated_gateway_operations WHERE kind = 'refund'")
        let recordedRefunds = try await server.count(
            "SELECT coalesce(sum(amount_minor), 0)::bigint FROM payment_transactions WHERE kind = 'refund'")
        let bookingRefunds = try await server.count("SELECT coalesce(sum(refunded_minor), 0)::bigint FROM bookings")
        #expect([gatewayCharges, recordedCharges, paidBookings] as [Int] == [charged, charged, charged], sourceLocation: sourceLocation)
        #expect([gatewayRefunds, recordedRefunds, bookingRefunds] as [Int] == [refunded, refunded, refunded], sourceLocation: sourceLocation)
    }

    @Test("API: a checkout key used for a cheap booking pays nothing else — another booking with it is refused and charged nothing")
    func apiCheckoutKeyBound() async throws {
        try await TestServer.run { server in
            let (event, cheap, dear, _) = try await cheapAndDear(server)
            let buyer = try await server.register("fan@example.com")
            let a = try #require(try await server.hold(token: buyer.token, event: event, ticketType: cheap).json["id"].string)
            let b = try #require(
                try await server.hold(token: buyer.token, event: event, ticketType: dear, quantity: 10).json["id"].string)
            #expect(try await server.checkout(token: buyer.token, booking: a, key: "K").status == 200)
            let reused = try await server.checkout(token: buyer.token, booking: b, key: "K")
            #expect(reused.status == 422)
            #expect(reused.errorCode == "idempotency_key_reused")
            #expect(try await server.api.get("/api/v1/bookings/\(b)", token: buyer.token).json["status"].string == "held")
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE booking_id = '\(b)'") == 0)
            // The same booking retried with its key is the same payment, charged once.
            #expect(try await server.checkout(token: buyer.token, booking: a, key: "K").status == 200)
            try await expectMoneyAddsUp(server, charged: 100, refunded: 0)
            // B paid with a key of its own costs what it says.
            #expect(try await server.checkout(token: buyer.token, booking: b, key: "web:K").status == 200)
            try await expectMoneyAddsUp(server, charged: 100 + 1_000_000, refunded: 0)
        }
    }

    @Test("The gateway binds a key to its request: another amount, booking or card with the same key is refused and changes nothing")
    func gatewayBindsKeys() async throws {
        try await TestServer.run { server in
            try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client in
                let gateway = SimulationGateway(
                    database: Database(client: client, maximumConnections: 2, registry: .init()), logger: Logger(label: "t"))
                let card = try PaymentCard.parse(number: "4242424242424242", expiry: "12/39", cvc: "123", now: Date()).get()
                let other = try PaymentCard.parse(number: "5555555555554444", expiry: "12/39", cvc: "123", now: Date()).get()
                let first = ChargeRequest(idempotencyKey: "k1", reference: "booking:a", amountMinor: 100, currency: "EUR", card: card)
                let charged = try await gateway.charge(first)
                #expect(try await gateway.charge(first) == charged, "a retry is the same charge")
                for variant in [
                    ChargeRequest(idempotencyKey: "k1", reference: "booking:a", amountMinor: 1_000_000, currency: "EUR", card: card),
                    ChargeRequest(idempotencyKey: "k1", reference: "booking:b", amountMinor: 100, currency: "EUR", card: card),
                    ChargeRequest(idempotencyKey: "k1", reference: "booking:a", amountMinor: 100, currency: "USD", card: card),
                    ChargeRequest(idempotencyKey: "k1", reference: "booking:a", amountMinor: 100, currency: "EUR", card: other),
                ] {
                    await #expect(throws: GatewayError.idempotencyKeyReused) { try await gateway.charge(variant) }
                }
                guard case .succeeded(let reference) = charged else {
                    Issue.record("expected a charge, got \(charged)")
                    return
                }
                let refund = RefundRequest(
                    idempotencyKey: "r1", chargeReference: reference, reference: "booking:a tickets:t1", amountMinor: 40,
                    currency: "EUR")
                let refunded = try await gateway.refund(refund)
                #expect(try await gateway.refund(refund) == refunded)
                await #expect(throws: GatewayError.idempotencyKeyReused) {
                    try await gateway.refund(RefundRequest(
                        idempotencyKey: "r1", chargeReference: reference, reference: "booking:a tickets:t2", amountMinor: 40,
                        currency: "EUR"))
                }
                // A charge's key is not a refund's.
                await #expect(throws: GatewayError.idempotencyKeyReused) {
                    try await gateway.refund(RefundRequest(
                        idempotencyKey: "k1", chargeReference: reference, reference: "x", amountMinor: 1, currency: "EUR"))
                }
            }
            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations") == 2)
        }
    }

    @Test("Charges arriving at the gateway together: each request gets its own answer, each key one record")
    func chargesTogether() async throws {
        try await TestServer.run { server in
            try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client in
                let gateway = SimulationGateway(
                    database: Database(client: client, maximumConnections: 8, registry: .init()), logger: Logger(label: "t"))
                func card(_ number: String) throws -> PaymentCard {
                    try PaymentCard.parse(number: number, expiry: "12/39", cvc: "123", now: Date()).get()
                }
                let paying = try card(SimulationGateway.successCard)
                let declined = try card(SimulationGateway.declinedCard)
                // Twelve payments of their own (every third declined), one request sent three times,
                // and one key sent again for another amount.
                var requests = try (0..<12).map { index in
                    ChargeRequest(
                        idempotencyKey: "k\(index)", reference: "booking:\(index)", amountMinor: Int64(100 + index), currency: "EUR",
                        card: index % 3 == 0 ? declined : paying)
                }
                let repeated = ChargeRequest(idempotencyKey: "again", reference: "booking:r", amountMinor: 500, currency: "EUR", card: paying)
                requests += [repeated, repeated, repeated]
                requests.append(ChargeRequest(idempotencyKey: "k1", reference: "booking:1", amountMinor: 999, currency: "EUR", card: paying))
                let answers = try await withThrowingTaskGroup(of: (Int, Result<ChargeResult, GatewayError>).self) { group in
                    for (index, request) in requests.enumerated() {
                        group.addTask {
                            do { return (index, .success(try await gateway.charge(request))) } catch let error as GatewayError {
                                return (index, .failure(error))
                            }
                        }
                    }
                    return try await group.reduce(into: [Int: Result<ChargeResult, GatewayError>]()) { $0[$1.0] = $1.1 }
                }
                var references = Set<String>()
                for index in 0..<12 where index != 1 {
                    switch answers[index] {
                    case .success(.succeeded(let reference))? where index % 3 != 0: references.insert(reference)
                    case .success(.declined(let code))? where index % 3 == 0: #expect(code == "card_declined")
                    default: Issue.record("payment \(index) answered \(String(describing: answers[index]))")
                    }
                }
                #expect(references.count == 7, "each payment charged on its own")
                // Key k1: whichever request came first is charged; the other is refused.
                let k1 = [answers[1], answers[15]]
                #expect(k1.filter { if case .success(.succeeded) = $0 { return true }; return false }.count == 1, "\(k1)")
                #expect(k1.filter { $0 == .failure(.idempotencyKeyReused) }.count == 1, "\(k1)")
                let again = Set((12..<15).map { "\(String(describing: answers[$0]))" })
                #expect(again.count == 1 && again.first?.contains("succeeded") == true, "\(again)")
            }
            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations") == 13)
            let k1Amount = try await server.count("SELECT amount_minor::int FROM simulated_gateway_operations WHERE idempotency_key = 'k1'")
            #expect(k1Amount == 101 || k1Amount == 999)
        }
    }

    @Test("One key sent by many at once: a single charge, and each answer is that charge (the API and the gateway)")
    func keyRacedAtOnce() async throws {
        try await TestServer.run { server in
            let (buyer, booking) = try await server.heldBooking(quantity: 2)
            let answers = try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for _ in 0..<8 { group.addTask { try await server.checkout(token: buyer, booking: booking, key: "raced") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.map(\.status) == Array(repeating: 200, count: 8), "\(answers.map(\.text))")
            #expect(Set(answers.map { $0.json["tickets"].array.compactMap { $0["id"].string }.sorted() }).count == 1)
            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations WHERE kind = 'charge'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM idempotency_keys WHERE key = 'raced'") == 1)

            try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client in
                let gateway = SimulationGateway(
                    database: Database(client: client, maximumConnections: 8, registry: .init()), logger: Logger(label: "t"))
                let card = try PaymentCard.parse(number: "4242424242424242", expiry: "12/39", cvc: "123", now: Date()).get()
                let request = ChargeRequest(idempotencyKey: "k", reference: "booking:a", amountMinor: 100, currency: "EUR", card: card)
                let results = try await withThrowingTaskGroup(of: ChargeResult.self) { group in
                    for _ in 0..<8 { group.addTask { try await gateway.charge(request) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.count == 8 && Set(results.map { "\($0)" }).count == 1, "\(results)")
            }
            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations WHERE idempotency_key = 'k'") == 1)
        }
    }

    @Test("Keys claimed and answered together: each request gets its own key's claim, refusal or stored answer")
    func keysTogether() async throws {
        try await TestServer.run { server in
            let (_, user, _) = try await server.register("buyer@example.com")
            let userID = try #require(UUID(uuidString: user))
            let logger = Logger(label: "t")
            try await TestDatabase.withClient(server.database, logger: logger) { client in
                let store = IdempotencyStore(database: Database(client: client, maximumConnections: 4, registry: .init()))
                // 24 keys of their own, one key twice for one request, and once more for another request.
                let requests = (0..<24).map { ("key-\($0)", "request \($0)") } + [("shared", "same"), ("shared", "same"), ("shared", "other")]
                let started = try await withThrowingTaskGroup(of: (Int, Result<IdempotencyStore.Start, any Error>).self) { group in
                    for (index, request) in requests.enumerated() {
                        group.addTask {
                            do {
                                return (index, .success(try await store.start(
                                    user: userID, key: request.0, fingerprint: request.1, now: Date(), logger: logger)))
                            } catch {
                                return (index, .failure(error))
                            }
                        }
                    }
                    return try await group.reduce(into: [Int: Result<IdempotencyStore.Start, any Error>]()) { $0[$1.0] = $1.1 }
                }
                let proceeded = started.filter { if case .success(.proceed) = $0.value { return true }; return false }.keys
                let refused = started.filter { if case .failure(let error as DomainError) = $0.value { return error.code == .idempotencyKeyReused }; return false }.keys
                #expect(Set(0..<24).isSubset(of: Set(proceeded)))
                // The shared key goes to whichever of its requests claims it first: the other request's claims are refused.
                #expect(proceeded.count + refused.count == requests.count)
                #expect(Set(refused) == [26] || Set(refused) == [24, 25])
                // Answers stored together; a second start of each key replays its own.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<24 {
                        group.addTask {
                            try await store.finish(user: userID, key: "key-\(index)", status: 200 + index, body: "{\"n\":\(index)}", logger: logger)
                        }
                    }
                    try await group.waitForAll()
                }
                for index in 0..<24 {
                    let again = try await store.start(user: userID, key: "key-\(index)", fingerprint: "request \(index)", now: Date(), logger: logger)
                    guard case .replay(let status, let body) = again else {
                        Issue.record("key-\(index) was not answered")
                        continue
                    }
                    #expect(status == 200 + index && body == "{\"n\":\(index)}")
                }
            }
        }
    }

    @Test("A key claimed by a request still running: the next one waits for it and replays its answer")
    func keyClaimedMeanwhile() async throws {
        try await TestServer.run { server in
            let (_, user, _) = try await server.register("buyer@example.com")
            let userID = try #require(UUID(uuidString: user))
            let logger = Logger(label: "t")
            let hash = Data(SHA256.hash(data: Data("fingerprint".utf8))).hexString
            try await TestDatabase.withClient(server.database, logger: logger) { client in
                let store = IdempotencyStore(database: Database(client: client, maximumConnections: 2, registry: .init()))
                try await client.withConnection { holder in
                    // Another request has claimed the key and answered, but not committed yet.
                    try await holder.query("BEGIN", logger: logger)
                    try await holder.query(
                        """
                        INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response, created_at)
                        VALUES (\(userID), 'k', \(hash), 200, '{"first":true}', now())
                        """, logger: logger)
                    async let started = store.start(user: userID, key: "k", fingerprint: "fingerprint", now: Date(), logger: logger)
                    try await Task.sleep(for: .milliseconds(300))
                    try await holder.query("COMMIT", logger: logger)
                    // Its claim, made before that commit, found the key taken but no row in its snapshot.
                    guard case .replay(let status, let body) = try await started else {
                        Issue.record("the second request ran again instead of replaying the first's answer")
                        return
                    }
                    #expect(status == 200 && body == #"{"first":true}"#)
                }
            }
        }
    }

    @Test("Web: a checkout form's key pays only its own booking; posted for a dear booking it charges nothing")
    func webCheckoutKeyBound() async throws {
        try await TestServer.run { server in
            let (event, cheap, dear, _) = try await cheapAndDear(server)
            let web = try server.browser()
            _ = try await web.get("/signup")
            _ = try await web.post("/signup", [("display_name", "Fan"), ("email", "fan@example.com"), ("password", "correct horse battery")])
            let cheapCheckout = try #require(try await web.post("/events/\(event)/book", [("qty.\(cheap)", "1")]).location)
            let dearCheckout = try #require(try await web.post("/events/\(event)/book", [("qty.\(dear)", "10")]).location)
            let key = try #require(try await web.get(cheapCheckout).field("idempotency_key"))
            let card = [("card_number", "4242 4242 4242 4242"), ("expiry", "12/39"), ("cvc", "123")]
            #expect(try await web.post(cheapCheckout, card + [("idempotency_key", key)]).status == 303)
            // The cheap booking's key, or one made up, on the dear booking's form: nothing is charged.
            for forged in [key, UUID().uuidString, "x.y"] {
                let refused = try await web.post(dearCheckout, card + [("idempotency_key", forged)])
                #expect(refused.status == 422)
                #expect(refused.html.contains("nothing was charged"))
            }
            try await expectMoneyAddsUp(server, charged: 100, refunded: 0)
            #expect(try await server.count("SELECT count(*)::int FROM bookings WHERE status = 'held'") == 1)
            // An API caller replaying the web form's key gets a payment of its own, at the real price.
            let login = try await server.api.post("/api/v1/auth/login", ["email": "fan@example.com", "password": "correct horse battery"])
            let token = try #require(login.json["access_token"].string)
            let dearID = String(dearCheckout.split(separator: "/")[1])
            #expect(try await server.checkout(token: token, booking: dearID, key: "web:\(key)").status == 200)
            try await expectMoneyAddsUp(server, charged: 100 + 1_000_000, refunded: 0)
        }
    }

    @Test("Refunds: one key reused for other tickets refunds nothing more, on the web and the API; fresh keys refund each once")
    func refundKeysBound() async throws {
        try await TestServer.run { server in
            let (event, _, dear, organizerToken) = try await cheapAndDear(server)
            let buyer = try await server.register("fan@example.com")
            let booking = try #require(
                try await server.buy(token: buyer.token, event: event, ticketType: dear, quantity: 3)["id"].string)
            try await expectMoneyAddsUp(server, charged: 300_000, refunded: 0)
            let org = try await server.signedInBrowser(email: "org@example.com", password: "correct horse battery")
            let page = try await org.get("/organizer/bookings/\(booking)")
            let tickets = page.html.matches(of: /name="ticket_id" value="([0-9a-f-]+)"/).map { String($0.1) }
            let key = try #require(page.field("idempotency_key"))
            #expect(try await org.post("/organizer/bookings/\(booking)/refunds", [("ticket_id", tickets[0]), ("idempotency_key", key)])
                .status == 303)
            for ticket in tickets.dropFirst() {
                let reused = try await org.post(
                    "/organizer/bookings/\(booking)/refunds", [("ticket_id", ticket), ("idempotency_key", key)])
                #expect(reused.status == 422, "\(reused.html)")
            }
            #expect(try await server.count("SELECT count(*)::int FROM tickets WHERE status = 'revoked'") == 1)
            try await expectMoneyAddsUp(server, charged: 300_000, refunded: 100_000)
            // The API: one Idempotency-Key for another ticket is refused; a fresh key refunds it.
            let first = try await server.api.post(
                "/api/v1/bookings/\(booking)/refunds", ["ticket_ids": [tickets[1]]], token: organizerToken,
                headers: [("Idempotency-Key", "R")])
            #expect(first.status == 200, "\(first.text)")
            let reused = try await server.api.post(
                "/api/v1/bookings/\(booking)/refunds", ["ticket_ids": [tickets[2]]], token: organizerToken,
                headers: [("Idempotency-Key", "R")])
            #expect(reused.errorCode == "idempotency_key_reused")
            try await expectMoneyAddsUp(server, charged: 300_000, refunded: 200_000)
            let fresh = try #require(try await org.get("/organizer/bookings/\(booking)").field("idempotency_key"))
            #expect(try await org.post("/organizer/bookings/\(booking)/refunds", [("ticket_id", tickets[2]), ("idempotency_key", fresh)])
                .status == 303)
            try await expectMoneyAddsUp(server, charged: 300_000, refunded: 300_000)
            #expect(try await server.api.get("/api/v1/bookings/\(booking)", token: buyer.token).json["status"].string == "refunded")
        }
    }
}
