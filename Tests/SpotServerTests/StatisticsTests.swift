import Foundation
import SpotTestSupport
import Testing

@Suite("Organizer statistics")
struct StatisticsTests {
    @Test("Sold, revenue and refunds by ticket type and day; check-ins by gate and hour")
    func statistics() async throws {
        try await TestServer.run(configure: { $0.runsBackgroundServices = false }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, price: 3000)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let payloads = booking["tickets"].array.compactMap { $0["payload"].string }
            _ = try await server.api.post(
                "/api/v1/bookings/\(booking["id"].string!)/refunds", ["ticket_ids": [booking["tickets"][2]["id"].string!]],
                token: sale.token, headers: [("Idempotency-Key", "s1")])
            for (payload, gate) in zip(payloads.prefix(2), ["North", "South"]) {
                _ = try await server.api.post("/api/v1/check-ins", ["payload": payload, "gate": gate], token: sale.token)
            }
            _ = try await server.api.post("/api/v1/check-ins", ["payload": payloads[0], "gate": "North"], token: sale.token)

            let stats = try await server.api.get("/api/v1/organizers/me/statistics?event_id=\(sale.event)", token: sale.token)
            #expect(stats.status == 200)
            #expect(stats.json["time_zone"].string == "Europe/Berlin")
            let type = stats.json["by_ticket_type"][0]
            #expect(type["sold"].int == 3)
            #expect(type["refunded"].int == 1)
            #expect(type["revenue_minor"].int == 9000)
            #expect(type["refunded_minor"].int == 3000)
            let day = stats.json["by_day"][0]
            #expect(day["sold"].int == 3)
            #expect(day["revenue_minor"].int == 9000)
            #expect(day["refunded_minor"].int == 3000)
            let gates = stats.json["check_ins"]["by_gate"].array
            #expect(gates.map { $0["gate"].string ?? "" } == ["North", "South"])
            #expect(gates.map { $0["admitted"].int ?? 0 } == [1, 1])
            #expect(gates.map { $0["refused"].int ?? 0 } == [1, 0])
            #expect(stats.json["check_ins"]["by_hour"].array.reduce(0) { $0 + ($1["admitted"].int ?? 0) } == 2)
            #expect(stats.json["door_sales"]["sales"].int == 0)
            #expect(stats.json["conflicts"].array.isEmpty)

            #expect(try await server.api.get("/api/v1/organizers/me/statistics", token: buyer).status == 403)
            #expect(try await server.api.get("/api/v1/organizers/me/statistics?time_zone=Mars/Base", token: sale.token).status == 422)
        }
    }
}
