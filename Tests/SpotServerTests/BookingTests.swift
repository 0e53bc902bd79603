import Foundation
import SpotServer
import SpotTestSupport
import Testing

@Suite("Inventory, bookings, payments")
struct BookingTests {
    @Test("200 concurrent purchases of a 50-seat ticket type: exactly 50 sold, 150 clean sold-outs, no 5xx")
    func noOversell() async throws {
        try await TestServer.run(configure: { $0.maximumConnections = 20 }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 50)
            var buyers: [String] = []
            for index in 0..<20 { buyers.append(try await server.register("buyer\(index)@example.com").token) }
            let statuses = try await withThrowingTaskGroup(of: (Int, Int?, String?).self) { group in
                for index in 0..<200 {
                    let token = buyers[index % buyers.count]
                    group.addTask {
                        let held = try await server.hold(token: token, event: sale.event, ticketType: sale.ticketType)
                        guard held.status == 201, let booking = held.json["id"].string else {
                            return (held.status, nil, held.errorCode)
                        }
                        let paid = try await server.checkout(token: token, booking: booking)
                        return (held.status, paid.status, paid.errorCode)
                    }
                }
                return try await group.reduce(into: [(Int, Int?, String?)]()) { $0.append($1) }
            }
            let sold = statuses.filter { $0.0 == 201 && $0.1 == 200 }.count
            let soldOut = statuses.filter { $0.0 == 409 && $0.2 == "sold_out" }.count
            #expect(sold == 50)
            #expect(soldOut == 150)
            #expect(statuses.allSatisfy { $0.0 < 500 && ($0.1 ?? 0) < 500 })
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 50)
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == 50)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions WHERE kind = 'charge'") == 50)
        }
    }

    @Test("Checkouts outnumbering the server's database connections all complete: the simulated processor has connections of its own")
    func checkoutsBeyondThePool() async throws {
        try await TestServer.run(configure: { $0.maximumConnections = 2; $0.databaseDeadline = .seconds(5) }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 50)
            var holds: [(token: String, booking: String)] = []
            for index in 0..<8 {
                let token = try await server.register("payer\(index)@example.com").token
                let held = try await server.hold(token: token, event: sale.event, ticketType: sale.ticketType)
                holds.append((token, try #require(held.json["id"].string, "\(held.text)")))
            }
            // Each checkout holds a pooled connection while it waits for the charge: were the charge
            // drawn from the same two connections, these would wait for each other until the deadline.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for hold in holds {
                    group.addTask { try await server.checkout(token: hold.token, booking: hold.booking).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: holds.count))
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == holds.count)
        }
    }

    @Test("Checkouts arriving together each get their own outcome: paid, declined, failed, not found, one booking paid once")
    func checkoutsTogether() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 30)
            var holds: [(token: String, booking: String, quantity: Int)] = []
            for index in 0..<8 {
                let token = try await server.register("together\(index)@example.com").token
                let quantity = index % 2 + 1
                let held = try await server.hold(token: token, event: sale.event, ticketType: sale.ticketType, quantity: quantity)
                holds.append((token, try #require(held.json["id"].string, "\(held.text)"), quantity))
            }
            // 0–3 pay; 4's card is declined; 5's processor fails; 6 pays for 0's booking; 7 pays twice with two keys.
            let card = [
                TestServer.successCard, TestServer.successCard, TestServer.successCard, TestServer.successCard,
                TestServer.card(SimulationGateway.declinedCard), TestServer.card(SimulationGateway.processorErrorCard),
                TestServer.successCard, TestServer.successCard,
            ]
            let outcomes = try await withThrowingTaskGroup(of: (index: Int, response: APIResponse).self) { group in
                for index in 0..<9 {
                    let buyer = holds[min(index, 7)]
                    let booking = index == 6 ? holds[0].booking : buyer.booking
                    group.addTask {
                        (index, try await server.checkout(token: buyer.token, booking: booking, card: card[min(index, 7)]))
                    }
                }
                return try await group.reduce(into: [Int: APIResponse]()) { $0[$1.index] = $1.response }
            }
            for index in [0, 1, 2, 3, 7, 8] {
                let paid = try #require(outcomes[index])
                #expect(paid.status == 200, "\(index): \(paid.text)")
                let buyer = holds[min(index, 7)]
                #expect(paid.json["id"].string == buyer.booking)
                #expect(paid.json["status"].string == "paid")
                #expect(paid.json["tickets"].array.count == buyer.quantity)
            }
            #expect(outcomes[4]?.status == 402 && outcomes[4]?.errorCode == "payment_declined")
            #expect(outcomes[5]?.status == 502 && outcomes[5]?.errorCode == "payment_processor_error")
            #expect(outcomes[6]?.status == 404)
            #expect(try await server.api.get("/api/v1/bookings/\(holds[4].booking)", token: holds[4].token).json["status"].string == "cancelled")
            #expect(try await server.api.get("/api/v1/bookings/\(holds[5].booking)", token: holds[5].token).json["status"].string == "held")

            let paid = [0, 1, 2, 3, 7].map { holds[$0] }
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == paid.map(\.quantity).reduce(0, +))
            #expect(try await server.count(
                "SELECT count(*)::int FROM tickets t JOIN bookings b ON b.id = t.booking_id WHERE t.owner_user_id <> b.user_id") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions WHERE kind = 'charge'") == paid.count)
            #expect(try await server.count(
                "SELECT count(*)::int FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id WHERE p.amount_minor <> b.total_minor") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM payment_attempts WHERE status = 'succeeded'") == paid.count)
            #expect(try await server.count("SELECT count(*)::int FROM payment_attempts WHERE status = 'declined'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM payment_attempts WHERE status = 'failed'") == 1)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory")             == paid.map(\.quantity).reduce(0, +) + holds[5].quantity + holds[6].quantity, "5's and 6's holds are kept")
            // One confirmation per paid booking and channel (e-mail and push: no phone numbers), to its buyer, naming its tickets.
            #expect(try await server.count(
                "SELECT count(DISTINCT booking_id)::int FROM notifications WHERE kind = 'booking_confirmed'") == paid.count)
            #expect(try await server.count("SELECT count(*)::int FROM notifications WHERE kind = 'booking_confirmed'") == 2 * paid.count)
            #expect(try await server.count(
                """
                SELECT count(*)::int FROM notifications n JOIN bookings b ON b.id = n.booking_id
                WHERE n.kind = 'booking_confirmed' AND n.user_id <> b.user_id
                """) == 0)
            #expect(try await server.count(
                """
                SELECT count(*)::int FROM notifications n JOIN tickets t ON t.booking_id = n.booking_id
                WHERE n.kind = 'booking_confirmed' AND position(t.id::text IN n.body) = 0
                """) == 0)
        }
    }

    @Test("A declined card leaves no ticket, releases the hold, and the answer is remembered for its key")
    func declined() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 10)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let held = try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let booking = try #require(held.json["id"].string)
            #expect(held.json["status"].string == "held")
            #expect(held.json["total_minor"].int == 7500)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 3)

            let declined = try await server.checkout(
                token: buyer, booking: booking, card: TestServer.card(SimulationGateway.declinedCard), key: "pay-1")
            #expect(declined.status == 402)
            #expect(declined.errorCode == "payment_declined")
            #expect(declined.json["error"]["fields"]["decline_code"].string == "card_declined")
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == 0)
            #expect(try await server.api.get("/api/v1/bookings/\(booking)", token: buyer).json["status"].string == "cancelled")

            let replay = try await server.checkout(
                token: buyer, booking: booking, card: TestServer.card(SimulationGateway.declinedCard), key: "pay-1")
            #expect(replay.status == 402)
            #expect(replay.headers.first(name: "Idempotent-Replay") == "true")

            let other = try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType)
            let poor = try await server.checkout(
                token: buyer, booking: other.json["id"].string!, card: TestServer.card(SimulationGateway.insufficientFundsCard))
            #expect(poor.json["error"]["fields"]["decline_code"].string == "insufficient_funds")
        }
    }

    @Test("A gateway timeout retried with the same idempotency key charges once and issues once")
    func timeoutRetried() async throws {
        try await TestServer.run { server in
            let (buyer, booking) = try await server.heldBooking(quantity: 2)
            let timeoutCard = TestServer.card(SimulationGateway.timeoutCard)
            let first = try await server.checkout(token: buyer, booking: booking, card: timeoutCard, key: "retry-me")
            #expect(first.status == 504)
            #expect(first.errorCode == "payment_timeout")
            #expect(try await server.api.get("/api/v1/bookings/\(booking)", token: buyer).json["status"].string == "held")

            let second = try await server.checkout(token: buyer, booking: booking, card: timeoutCard, key: "retry-me")
            #expect(second.status == 200)
            #expect(second.json["status"].string == "paid")
            #expect(second.json["tickets"].array.count == 2)
            let third = try await server.checkout(token: buyer, booking: booking, card: timeoutCard, key: "retry-me")
            #expect(third.status == 200)
            #expect(third.body == second.body)
            #expect(third.headers.first(name: "Idempotent-Replay") == "true")

            #expect(try await server.count("SELECT count(*)::int FROM simulated_gateway_operations WHERE kind = 'charge'") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM payment_transactions") == 1)
            #expect(try await server.count("SELECT count(*)::int FROM tickets") == 2)
            // The same key for a different request is refused; no key at all too.
            let reused = try await server.checkout(token: buyer, booking: booking, card: TestServer.successCard, key: "retry-me")
            #expect(reused.errorCode == "idempotency_key_reused")
            let keyless = try await server.api.post("/api/v1/bookings/\(booking)/checkout", ["card": TestServer.successCard], token: buyer)
            #expect(keyless.errorCode == "idempotency_key_required")
        }
    }

    @Test("A processor error keeps the hold for another try; bad cards are 422 per field")
    func processorError() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try #require(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).json["id"].string)
            let failed = try await server.checkout(token: buyer, booking: booking, card: TestServer.card(SimulationGateway.processorErrorCard))
            #expect(failed.status == 502)
            #expect(failed.errorCode == "payment_processor_error")
            #expect(try await server.api.get("/api/v1/bookings/\(booking)", token: buyer).json["status"].string == "held")
            let bad = try await server.checkout(
                token: buyer, booking: booking, card: ["number": "4242 4242 4242 4241", "expiry": "01/20", "cvc": "1"])
            #expect(bad.status == 422)
            #expect(Set(bad.json["error"]["fields"].object.keys) == ["card.number", "card.expiry", "card.cvc"])
            #expect(try await server.checkout(token: buyer, booking: booking).json["status"].string == "paid")
            // Someone else's booking is not found; a paid one cannot be cancelled.
            let (other, _, _) = try await server.register("other@example.com")
            #expect(try await server.checkout(token: other, booking: booking).status == 404)
            #expect(try await server.api.post("/api/v1/bookings/\(booking)/cancel", token: buyer).errorCode == "booking_not_held")
        }
    }

    @Test("Per-order limits, sales windows, unpublished events and unknown types are refused")
    func limits() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let tooMany = try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 11)
            #expect(tooMany.status == 422)
            try await server.sql("UPDATE ticket_types SET sales_start = now() + interval '1 day'")
            #expect(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).errorCode == "sales_not_started")
            try await server.sql("UPDATE ticket_types SET sales_start = NULL, sales_end = now() - interval '1 minute'")
            #expect(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).errorCode == "sales_ended")
            #expect(try await server.hold(token: buyer, event: sale.event, ticketType: UUID().uuidString).status == 422)
            #expect(try await server.hold(token: buyer, event: UUID().uuidString, ticketType: sale.ticketType).status == 404)
            #expect(try await server.count("SELECT count(*)::int FROM bookings") == 0)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 0)
        }
    }

    @Test("Expired holds give their seats back; a hold whose charge response was lost is completed instead")
    func expiry() async throws {
        try await TestServer.run(configure: {
            // Long enough that the holds cannot expire before the first check on a loaded machine.
            $0.holdDuration = 8
            $0.runsBackgroundServices = true
            $0.holdExpiryInterval = .milliseconds(200)
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let abandoned = try #require(
                try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2).json["id"].string)
            let lost = try #require(
                try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3).json["id"].string)
            #expect(try await server.checkout(token: buyer, booking: lost, card: TestServer.card(SimulationGateway.timeoutCard)).status == 504)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 5)
            // The expiry service runs every 200 ms once the holds are due: wait for it, bounded.
            var status: String?
            var completed = try await server.api.get("/api/v1/bookings/\(lost)", token: buyer)
            let deadline = ContinuousClock.now + .seconds(20)
            while status != "expired" || completed.json["status"].string == "held", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                status = try await server.api.get("/api/v1/bookings/\(abandoned)", token: buyer).json["status"].string
                completed = try await server.api.get("/api/v1/bookings/\(lost)", token: buyer)
            }
            #expect(status == "expired")
            #expect(completed.json["status"].string == "paid")
            #expect(completed.json["tickets"].array.count == 3)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 3)
            let late = try await server.checkout(token: buyer, booking: abandoned)
            #expect(late.errorCode == "booking_not_held")
        }
    }
}
