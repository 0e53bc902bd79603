import Foundation
import SpotServer
import SpotTestSupport
import Testing

@Suite("Striped inventory")
struct InventoryStripesTests {
    @Test("Concurrent buyers of one type draw from its stripes; with cancellations, the last seats still sell exactly, no false sold-out")
    func lastSeatsExactly() async throws {
        try await TestServer.run(configure: { $0.maximumConnections = 12 }) { server in
            let admin = try await server.admin()
            let capacity = 90
            let sale = try await server.onSale(admin: admin, capacity: capacity)
            var buyers: [String] = []
            for index in 0..<24 { buyers.append(try await server.register("rush\(index)@example.com").token) }
            // Each buyer holds 1 to 3 seats at a time, pays for some, cancels some, and asks for
            // fewer after a sold-out, until even one seat is sold out.
            let outcomes = try await withThrowingTaskGroup(of: (kept: Int, statuses: [Int]).self) { group in
                for (index, token) in buyers.enumerated() {
                    group.addTask {
                        var quantity = index % 3 + 1
                        var kept = 0
                        var statuses: [Int] = []
                        for attempt in 0... {
                            let held = try await server.hold(
                                token: token, event: sale.event, ticketType: sale.ticketType, quantity: quantity)
                            statuses.append(held.status)
                            if held.status == 409, held.errorCode == "sold_out" {
                                if quantity == 1 { return (kept, statuses) }
                                quantity -= 1
                                continue
                            }
                            guard held.status == 201, let booking = held.json["id"].string else { return (kept, statuses) }
                            switch attempt % 3 {
                            case 0:
                                let paid = try await server.checkout(token: token, booking: booking)
                                statuses.append(paid.status)
                                if paid.status == 200 { kept += quantity }
                            case 1:
                                let cancelled = try await server.api.post("/api/v1/bookings/\(booking)/cancel", token: token)
                                statuses.append(cancelled.status)
                            default:
                                kept += quantity
                            }
                        }
                        return (kept, statuses)
                    }
                }
                return try await group.reduce(into: [(kept: Int, statuses: [Int])]()) { $0.append($1) }
            }
            let statuses = outcomes.flatMap(\.statuses)
            #expect(statuses.allSatisfy { [200, 201, 409].contains($0) }, "\(Set(statuses))")
            #expect(outcomes.map(\.kept).reduce(0, +) == capacity, "every seat is held or sold, none twice")
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == capacity)
            #expect(try await server.count("SELECT available FROM ticket_type_inventory") == 0)
            #expect(try await server.count("SELECT coalesce(sum(seats), 0)::int FROM ticket_type_stripes") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM ticket_types WHERE reserved + allotted > capacity") == 0)
            #expect(try await server.count("SELECT count(*)::int FROM ticket_type_stripes") > 1, "holds drew from several stripes")
        }
    }

    @Test("Holds arriving together each get their own outcome: seats in arrival order, refusals apart, every booking its buyer's")
    func holdsTogether() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 5)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let vip = try await server.api.post(
                "/api/v1/events/\(sale.event)/ticket-types",
                ["name": "VIP", "price_minor": 9000, "currency": "EUR", "capacity": 50], token: sale.token)
            let vipType = try #require(vip.json["id"].string)
            var buyers: [(token: String, user: String)] = []
            for index in 0..<12 {
                let (token, user, _) = try await server.register("together\(index)@example.com")
                buyers.append((token, user))
            }
            // 8 buyers want 1 of the 5 seats, 2 ask for another event's type, 2 for more than a booking may hold.
            let outcomes = try await withThrowingTaskGroup(of: (index: Int, response: APIResponse).self) { group in
                for (index, buyer) in buyers.enumerated() {
                    group.addTask {
                        let response = switch index {
                        case 0..<8: try await server.hold(token: buyer.token, event: sale.event, ticketType: sale.ticketType)
                        case 8..<10: try await server.hold(token: buyer.token, event: sale.event, ticketType: other.ticketType)
                        default: try await server.hold(token: buyer.token, event: sale.event, ticketType: vipType, quantity: 21)
                        }
                        return (index, response)
                    }
                }
                return try await group.reduce(into: [Int: APIResponse]()) { $0[$1.index] = $1.response }
            }
            let rush = (0..<8).compactMap { outcomes[$0] }
            #expect(rush.filter { $0.status == 201 }.count == 5)
            #expect(rush.filter { $0.status == 409 && $0.errorCode == "sold_out" }.count == 3)
            #expect((8..<12).allSatisfy { outcomes[$0]?.status == 422 })
            for (index, buyer) in buyers.enumerated() where outcomes[index]?.status == 201 {
                let booking = try #require(outcomes[index]).json
                #expect(booking["user_id"].string == buyer.user, "a booking answers the buyer who asked for it")
                #expect(booking["status"].string == "held")
                #expect(booking["total_minor"].int == 2500)
                #expect(booking["items"][0]["ticket_type_id"].string == sale.ticketType)
                #expect(booking["items"][0]["name"].string == "Standard")
            }
            #expect(try await server.count("SELECT count(*)::int FROM bookings WHERE status = 'held'") == 5)
            #expect(try await server.count("SELECT coalesce(sum(quantity), 0)::int FROM booking_items") == 5)

            // One booking of two types, one of them sold out: no seat of the other is taken.
            let both = try await server.api.post(
                "/api/v1/bookings",
                ["event_id": sale.event, "items": [
                    ["ticket_type_id": vipType, "quantity": 2], ["ticket_type_id": sale.ticketType, "quantity": 1],
                ] as [[String: any Sendable]]], token: buyers[0].token)
            #expect(both.status == 409 && both.errorCode == "sold_out")
            #expect(both.json["error"]["fields"]["ticket_type_id"].string == sale.ticketType)
            #expect(try await server.count(
                "SELECT available FROM ticket_type_inventory WHERE ticket_type_id = '\(vipType)'") == 50)
            #expect(try await server.count("SELECT count(*)::int FROM bookings") == 5)
        }
    }

    @Test("Seats waiting in stripes count as on sale, and return to the pool for a node's allotment and a smaller capacity")
    func drainedWhenNeeded() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 100)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            #expect(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).status == 201)
            let escrowed = try await server.count("SELECT coalesce(sum(seats), 0)::int FROM ticket_type_stripes")
            #expect(escrowed > 0, "the hold moved a chunk of seats into a stripe")
            #expect(try await server.count("SELECT reserved FROM ticket_types") == 1 + escrowed)
            #expect(try await server.count("SELECT held_or_sold FROM ticket_type_inventory") == 1)
            #expect(try await server.count("SELECT available FROM ticket_type_inventory") == 99)

            // A node can be given every seat not held, including those in stripes.
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let grant = try await server.api.send(
                .PUT, "/api/v1/nodes/\(node.info.id.uuidString.lowercased())/allotments/\(sale.ticketType)",
                json: ["granted": 90], token: sale.token)
            #expect(grant.status == 200, "\(grant.text)")
            #expect(try await server.count("SELECT coalesce(sum(seats), 0)::int FROM ticket_type_stripes") == 0)
            #expect(try await server.count("SELECT available FROM ticket_type_inventory") == 9)

            // Capacity shrinks to what is held or allotted, not below; a hold afterwards draws a fresh chunk.
            #expect(try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType).status == 201)
            #expect(try await server.count("SELECT coalesce(sum(seats), 0)::int FROM ticket_type_stripes") == 8)
            let below = try await server.api.send(
                .PATCH, "/api/v1/ticket-types/\(sale.ticketType)", json: ["capacity": 91], token: sale.token)
            #expect(below.status == 422)
            #expect(below.json["error"]["fields"]["capacity"].string?.contains("at least 92") == true, "\(below.text)")
            let exact = try await server.api.send(
                .PATCH, "/api/v1/ticket-types/\(sale.ticketType)", json: ["capacity": 92], token: sale.token)
            #expect(exact.status == 200, "\(exact.text)")
            #expect(try await server.count("SELECT available FROM ticket_type_inventory") == 0)
            let soldOut = try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType)
            #expect(soldOut.errorCode == "sold_out")
        }
    }
}
