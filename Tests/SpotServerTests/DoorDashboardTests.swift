import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("The live door dashboard")
struct DoorDashboardTests {
    /// The next `dashboard` event whose JSON satisfies `condition`, and how long it took.
    static func awaitDashboard(
        _ stream: EventStream, _ condition: (JSON) -> Bool
    ) async throws -> (JSON, Duration) {
        let started = ContinuousClock.now
        while let event = try await stream.next() {
            guard event.name == "dashboard" else { continue }
            let board = JSON(try JSONSerialization.jsonObject(with: Data(event.data.utf8)))
            if condition(board) { return (board, ContinuousClock.now - started) }
        }
        throw TestFailure("the stream ended")
    }

    @Test("Admitted against sold, gates, doors with their sync health, door sales and conflicts; streamed within 2 s of a change")
    func dashboard() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let payloads = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 4)["tickets"]
                .array.compactMap { $0["payload"].string }
            let tickets = try await server.api.get("/api/v1/wallet", token: buyer).json["items"].array.compactMap { $0["id"].string }
            #expect(payloads.count == 4 && tickets.count == 4)
            func checkIn(_ payload: String, gate: String) async throws {
                let answer = try await server.api.post("/api/v1/check-ins", ["payload": payload, "gate": gate], token: sale.token)
                #expect(answer.status == 200, "\(answer.text)")
            }
            let path = "/api/v1/events/\(sale.event)/dashboard"

            let empty = try await server.api.get(path, token: sale.token).json
            #expect(empty["sold"].int == 4 && empty["admitted"].int == 0 && empty["open_conflicts"].int == 0)
            #expect(empty["per_minute"].array.count == DoorDashboard.minutes)
            #expect(empty["doors"].array.map { $0["name"].string } == ["Online check-in"])

            // The stream: a first event at once, then one for each change.
            let stream = try await EventStream.open(
                server.api.baseURL + path + "/stream", headers: [("Authorization", "Bearer \(sale.token)")])
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "content-type") == "text/event-stream; charset=utf-8")
            let (first, _) = try await Self.awaitDashboard(stream) { _ in true }
            #expect(first["admitted"].int == 0)

            // An online check-in shows within 2 s.
            try await checkIn(payloads[0], gate: "North")
            let (online, onlineDelay) = try await Self.awaitDashboard(stream) { $0["admitted"].int == 1 }
            #expect(onlineDelay < .seconds(2), "an online check-in reached the stream in \(onlineDelay)")
            #expect(online["per_minute"].array.last?["admitted"].int == 1)

            // A node's push — an admission, a refusal, a door sale beyond its allotment — shows within 2 s.
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let event = try #require(UUID(uuidString: sale.event)), type = try #require(UUID(uuidString: sale.ticketType))
            let now = HLCTimestamp(wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            let doorTicket = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
            let pushed = try await node.push([
                SyncMutation(mutationID: 1, body: .scan(node.scan(
                    ticket: try #require(UUID(uuidString: tickets[1])), event: event, hlc: now, gate: "South"))),
                SyncMutation(mutationID: 2, body: .scan(node.scan(
                    ticket: UUID(), event: event, hlc: now, gate: "South", verdict: .invalidSignature))),
                SyncMutation(mutationID: 3, body: .sale(SyncSale(
                    id: UUID(), nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: 1, paymentMethod: .cash,
                    amountMinor: 2500, currency: "EUR", hlc: now,
                    tickets: [SyncSoldTicket(id: doorTicket.ticketID, payload: try SignedTicket.sign(doorTicket, with: node.deviceKey).text)]))),
            ])
            #expect(pushed.results.map(\.status) == [.applied, .applied, .conflict])
            let (board, nodeDelay) = try await Self.awaitDashboard(stream) {
                $0["admitted"].int == 2 && $0["door_sales"]["sales"].int == 1 && $0["open_conflicts"].int == 1
            }
            #expect(nodeDelay < .seconds(2), "a node's push reached the stream in \(nodeDelay)")
            #expect(board["sold"].int == 5, "four online, one at the door")
            #expect(board["door_sales"]["tickets"].int == 1)
            #expect(board["door_sales"]["amounts"].array.first?["amount_minor"].int == 2500)
            let gates = Dictionary(uniqueKeysWithValues: board["gates"].array.map { ($0["gate"].string ?? "", $0) })
            #expect(gates["North"]?["admitted"].int == 1 && gates["North"]?["refused"].int == 0)
            #expect(gates["South"]?["admitted"].int == 1 && gates["South"]?["refused"].int == 1)
            let doors = board["doors"].array
            #expect(doors.map { $0["name"].string } == ["Online check-in", "Door A"])
            #expect(doors[0]["admitted"].int == 1 && doors[0]["online"].bool == true && doors[0]["sync"].isNull)
            #expect(doors[1]["admitted"].int == 1 && doors[1]["refused"].int == 1 && doors[1]["door_sales"].int == 1)
            #expect(doors[1]["sync"]["health"].string == "in_touch" && doors[1]["sync"]["last_push_at"].string != nil)

            // A refused online check-in notifies nothing: the stream's refresh shows it within 2 s more.
            try await checkIn(payloads[0], gate: "North")
            let (refused, refusedDelay) = try await Self.awaitDashboard(stream) {
                $0["gates"].array.first { $0["gate"].string == "North" }?["refused"].int == 1
            }
            #expect(refusedDelay < .seconds(4), "a refused check-in reached the stream in \(refusedDelay)")
            #expect(refused["admitted"].int == 2)

            // A node silent for longer than the limit is said to be.
            try await server.sql("UPDATE nodes SET last_seen_at = now() - interval '10 minutes' WHERE id = '\(node.info.id)'")
            let silent = try await server.api.get(path, token: sale.token).json
            #expect(silent["doors"].array.last?["sync"]["health"].string == "silent")

            // Only the organizer and admins.
            #expect(try await server.api.get(path, token: other.token).status == 403)
            #expect(try await server.api.get(path, token: buyer).status == 403)
            #expect(try await server.api.get(path).status == 401)
            #expect(try await server.api.get(path + "/stream", token: other.token).status == 403)
            #expect(try await server.api.get(path, token: admin).status == 200)

            // The organizer's live page: the board without script, and its stream of the board's HTML.
            let web = try await server.signedInBrowser(email: "org@example.com", password: "correct horse battery")
            let page = try await web.get("/organizer/events/\(sale.event)/live")
            #expect(page.status == 200)
            #expect(page.html.contains(#"<strong id="live-admitted">2</strong>"#))
            #expect(page.html.contains(#"<meta http-equiv="refresh" content="10">"#))
            #expect(page.html.contains(#"data-live-stream="/organizer/events/\#(sale.event)/live/stream""#))
            #expect(page.html.contains("Door A") && page.html.contains("health-silent"))
            let htmlStream = try await EventStream.open(
                server.api.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
                    + "/organizer/events/\(sale.event)/live/stream",
                headers: [("Cookie", await web.cookieHeader)])
            #expect(htmlStream.status == 200)
            let fragment = try #require(try await htmlStream.next())
            #expect(fragment.name == "dashboard" && fragment.data.contains(#"<strong id="live-admitted">2</strong>"#))
            #expect(!fragment.data.contains("<html"), "the board alone, not a page")
            #expect(try await web.get("/organizer/events/\(other.event)/live").status == 403)
            #expect(try await server.browser().get("/organizer/events/\(sale.event)/live/stream").status == 303)
        }
    }
}
