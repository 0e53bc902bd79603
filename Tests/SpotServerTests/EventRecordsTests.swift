import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("An event's check-ins and door sales, listed")
struct EventRecordsTests {
    @Test("Check-ins and door sales are listed newest first, filtered, and paged by cursor with every row once")
    func lists() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let tickets = try #require(
                try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)["tickets"].array
                    .compactMap { ticket in ticket["payload"].string.map { (id: ticket["id"].string!, payload: $0) } })
            func checkIn(_ payload: String, gate: String, direction: String = "entry") async throws {
                let answer = try await server.api.post(
                    "/api/v1/check-ins", ["payload": payload, "gate": gate, "direction": direction], token: sale.token)
                #expect(answer.status == 200, "\(answer.text)")
            }
            try await checkIn(tickets[0].payload, gate: "North")
            try await checkIn(tickets[0].payload, gate: "South")  // already admitted
            try await checkIn(tickets[1].payload, gate: "North")
            try await checkIn(tickets[1].payload, gate: "North", direction: "exit")

            // A node at the venue: a scan of the third ticket and a door sale of two tickets.
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let nodeID = node.info.id.uuidString.lowercased()
            #expect(try await server.api.send(
                .PUT, "/api/v1/nodes/\(nodeID)/allotments/\(sale.ticketType)", json: ["granted": 5], token: sale.token).status == 200)
            let event = UUID(uuidString: sale.event)!, type = UUID(uuidString: sale.ticketType)!
            let doorTickets = try (0..<2).map { _ in
                let claims = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
                return SyncSoldTicket(id: claims.ticketID, payload: try SignedTicket.sign(claims, with: node.deviceKey).text)
            }
            let pushed = try await node.push([
                SyncMutation(mutationID: 1, body: .scan(node.scan(
                    ticket: UUID(uuidString: tickets[2].id)!, event: event, hlc: HLCTimestamp(wallMilliseconds: 1_000), gate: "Side"))),
                SyncMutation(mutationID: 2, body: .sale(SyncSale(
                    id: UUID(), nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: 2, paymentMethod: .cash,
                    amountMinor: 5000, currency: "EUR", hlc: HLCTimestamp(wallMilliseconds: 2_000), tickets: doorTickets))),
            ])
            #expect(pushed.results.map(\.status) == [.applied, .applied])

            func list(_ path: String, _ query: String = "", token: String? = nil) async throws -> APIResponse {
                try await server.api.get("/api/v1/events/\(sale.event)/\(path)\(query)", token: token ?? sale.token)
            }
            let all = try await list("check-ins").json
            #expect(all["items"].array.count == 5)
            #expect(all["next_cursor"].string == nil)
            let times = all["items"].array.compactMap { $0["scanned_at"].string }
            #expect(times == times.sorted(by: >), "newest first")
            #expect(try await list("check-ins", "?gate=North").json["items"].array.count == 3)
            #expect(try await list("check-ins", "?verdict=already_admitted").json["items"].array.map { $0["gate"].string } == ["South"])
            #expect(try await list("check-ins", "?direction=exit").json["items"].array.count == 1)
            #expect(try await list("check-ins", "?ticket=\(tickets[0].id)").json["items"].array.count == 2)
            let fromNode = try await list("check-ins", "?node=\(nodeID)").json["items"].array
            #expect(fromNode.count == 1 && fromNode[0]["node_name"].string == "Door A" && fromNode[0]["online"].bool == false)
            let online = try await list("check-ins", "?node=\(CheckInService.serverNodeID.uuidString.lowercased())").json["items"].array
            #expect(online.count == 4 && online.allSatisfy { $0["online"].bool == true })
            // The node's scan carries the node's clock (1970 here); the online ones the server's.
            #expect(try await list("check-ins", "?until=2000-01-01T00:00:00Z").json["items"].array.map { $0["gate"].string } == ["Side"])
            #expect(try await list("check-ins", "?from=2000-01-01T00:00:00Z").json["items"].array.count == 4)

            // Two a page: every row once, in the same order, and the last page says so.
            var seen: [String] = []
            var cursor: String?
            for _ in 0..<5 {
                let page = try await list("check-ins", "?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                seen += page["items"].array.compactMap { $0["id"].string }
                cursor = page["next_cursor"].string
                if cursor == nil { break }
            }
            #expect(seen == all["items"].array.compactMap { $0["id"].string })

            let sales = try await list("door-sales").json
            #expect(sales["items"].array.count == 1)
            let door = sales["items"][0]
            #expect(door["quantity"].int == 2 && door["payment_method"].string == "cash" && door["amount_minor"].int == 5000)
            #expect(door["node_name"].string == "Door A" && door["within_allotment"].bool == true)
            #expect(Set(door["ticket_ids"].array.compactMap(\.string)) == Set(doorTickets.map { $0.id.uuidString.lowercased() }))
            let byTicket = try await list("door-sales", "?ticket=\(doorTickets[0].id.uuidString.lowercased())").json
            #expect(byTicket["items"].array.count == 1)
            #expect(try await list("door-sales", "?ticket=\(tickets[0].id)").json["items"].array.isEmpty)

            // Refusals: a cursor it never handed out, a value outside a vocabulary, someone else's event.
            #expect(try await list("check-ins", "?cursor=bm90LWEtY3Vyc29y").errorCode == "cursor_invalid")
            // A cursor forged far past the year 9999 is refused before it reaches the database.
            let forged = Data("9223372036854775807.\(UUID().uuidString.lowercased())".utf8).base64URLText
            #expect(try await list("check-ins", "?cursor=\(forged)").errorCode == "cursor_invalid")
            #expect(try await list("door-sales", "?cursor=\(forged)").errorCode == "cursor_invalid")
            let bad = try await list("check-ins", "?verdict=fine&limit=0&from=yesterday")
            #expect(bad.status == 422)
            #expect(Set(bad.json["error"]["fields"].object.keys) == ["verdict", "limit", "from"])
            #expect(try await list("check-ins", token: other.token).status == 403)
            #expect(try await list("door-sales", token: buyer).status == 403)

            // Conflicts, the same way: a node's admission of a ticket already admitted online, and a
            // door sale beyond the node's allotment.
            let beyond = try (0..<4).map { _ in
                let claims = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
                return SyncSoldTicket(id: claims.ticketID, payload: try SignedTicket.sign(claims, with: node.deviceKey).text)
            }
            let conflicting = try await node.push([
                SyncMutation(mutationID: 3, body: .scan(node.scan(
                    ticket: UUID(uuidString: tickets[0].id)!, event: event,
                    hlc: HLCTimestamp(wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)), gate: "Side"))),
                SyncMutation(mutationID: 4, body: .sale(SyncSale(
                    id: UUID(), nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: 4, paymentMethod: .cash,
                    amountMinor: 10000, currency: "EUR", hlc: HLCTimestamp(wallMilliseconds: 4_000), tickets: beyond))),
            ])
            #expect(conflicting.results.flatMap { $0.conflicts.map(\.kind) }.sorted { $0.rawValue < $1.rawValue }
                == [.duplicateAdmission, .saleBeyondAllotment])
            #expect(try await list("conflicts").json["items"].array.count == 2)
            #expect(try await list("conflicts", "?kind=sale_beyond_allotment").json["items"].array.map { $0["kind"].string }
                == ["sale_beyond_allotment"])
            #expect(try await list("conflicts", "?resolved=true").json["items"].array.isEmpty)
            #expect(try await list("conflicts", "?ticket=\(tickets[0].id)").json["items"].array.count == 1)
            let firstConflict = try await list("conflicts", "?limit=1").json
            let secondConflict = try await list("conflicts", "?limit=1&cursor=\(try #require(firstConflict["next_cursor"].string))").json
            #expect(Set((firstConflict["items"].array + secondConflict["items"].array).compactMap { $0["id"].string }).count == 2)
            #expect(secondConflict["next_cursor"].string == nil)
            #expect(try await list("conflicts", "?resolved=maybe").status == 422)

            // The organizer's pages show the same lists, filters and pages.
            let web = try await server.signedInBrowser(email: "org@example.com", password: "correct horse battery")
            let base = "/organizer/events/\(sale.event)"
            #expect(try await web.get(base).html.contains("\(base)/check-ins"))
            let page = try await web.get("\(base)/check-ins")
            #expect(page.status == 200)
            #expect(page.html.components(separatedBy: "<tr").count - 2 == 6, "six rows under the header")
            let refused = try await web.get("\(base)/check-ins?verdict=already_admitted").html
            #expect(refused.contains("<td>South</td>") && !refused.contains("<td>North</td>"))
            let first = try await web.get("\(base)/check-ins?gate=North&limit=2").html
            let older = try #require(first.firstMatch(of: /href="([^"]*cursor=[^"]*)"/).map { String($0.1) })
            let second = try await web.get(older.replacingOccurrences(of: "&amp;", with: "&")).html
            #expect(second.components(separatedBy: "<td>North</td>").count - 1 == 1, "the third North check-in, on the next page")
            #expect(try await web.get("\(base)/check-ins?verdict=fine").status == 422)
            let doorPage = try await web.get("\(base)/door-sales").html
            #expect(doorPage.contains("Door A") && doorPage.contains("50.00"))
            let stranger = try await server.signedInBrowser(email: "other@example.com", password: "correct horse battery")
            #expect(try await stranger.get("\(base)/check-ins").status == 403)
        }
    }
}
