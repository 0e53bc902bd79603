import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("CSV exports of an organizer's records")
struct ExportTests {
    /// `csv` read by Python's own `csv` module (strict), independent of the writer: its rows.
    static func parse(_ csv: Data) async throws -> [[String]] {
        let python = ProcessInfo.processInfo.environment["SPOT_TEST_PYTHON"] ?? "python3"
        let script = """
            import csv, io, json, sys
            text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
            print(json.dumps(list(csv.reader(text, strict=True))))
            """
        let result = try await runProcess(python, ["-c", script], stdin: String(decoding: csv, as: UTF8.self))
        guard result.status == 0, let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String]] else {
            throw TestFailure("python csv: \(result.stderr)")
        }
        return rows
    }

    @Test("Every list downloads as RFC 4180 CSV, all rows once across pages, formulas made inert, only for its organizer")
    func exports() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 20)
            let other = try await server.onSale(organizer: "other@example.com", admin: admin)
            let (buyer, buyerID, _) = try await server.register("buyer@example.com")
            // A name a spreadsheet would run, and one with a comma and quotes.
            try await server.sql(#"UPDATE users SET display_name = '=HYPERLINK("http://evil.example","click")' WHERE id = '\#(buyerID)'"#)
            let booking = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            let tickets = booking["tickets"].array.compactMap { $0["payload"].string }
            #expect(tickets.count == 3)
            for (payload, gate) in zip(tickets.prefix(2), [#"North, "Main""#, "@SUM(1)"]) {
                let answer = try await server.api.post(
                    "/api/v1/check-ins", ["payload": payload, "gate": gate, "direction": "entry"], token: sale.token)
                #expect(answer.status == 200, "\(answer.text)")
            }
            // 2,500 more scans, so an export spans three pages of the repository.
            try await server.sql(
                """
                INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict)
                SELECT gen_random_uuid(), gen_random_uuid(), 1, '\(sale.event)', 'entry', 'Bulk', '\(CheckInService.serverNodeID)',
                       n, timestamptz '2026-01-01' + n * interval '1 second', 'invalid_signature'
                FROM generate_series(1, 2500) n
                """)
            // A node's door sale beyond its allotment (none granted): a sale and a conflict.
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let event = try #require(UUID(uuidString: sale.event)), type = try #require(UUID(uuidString: sale.ticketType))
            let doorTickets = try (0..<2).map { _ in
                let claims = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
                return SyncSoldTicket(id: claims.ticketID, payload: try SignedTicket.sign(claims, with: node.deviceKey).text)
            }
            _ = try await node.push([
                SyncMutation(mutationID: 1, body: .sale(SyncSale(
                    id: UUID(), nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: 2, paymentMethod: .cash,
                    amountMinor: 5000, currency: "EUR", hlc: HLCTimestamp(wallMilliseconds: 2_000), tickets: doorTickets))),
            ])

            func export(_ kind: String, token: String? = nil) async throws -> APIResponse {
                try await server.api.get("/api/v1/events/\(sale.event)/exports/\(kind)", token: token ?? sale.token)
            }

            let checkIns = try await export("check-ins")
            #expect(checkIns.status == 200)
            #expect(checkIns.headers.first(name: "content-type") == "text/csv; charset=utf-8; header=present")
            #expect(checkIns.headers.first(name: "content-disposition") == #"attachment; filename="check-ins-\#(sale.event).csv""#)
            #expect(checkIns.text.hasSuffix("\r\n") && !checkIns.text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            #expect(checkIns.text.contains(#","North, ""Main""","#), "quoted, quotes doubled")
            let rows = try await Self.parse(checkIns.body)
            #expect(rows.first == ExportKind.checkIns.columns)
            let records = rows.dropFirst()
            #expect(records.count == 2502)
            let ids = records.map { $0[0] }
            #expect(Set(ids).count == ids.count, "no row twice")
            #expect(Set(ids) == Set(try await server.text(
                "SELECT string_agg(id::text, ',') FROM scans WHERE event_id = '\(sale.event)'").split(separator: ",").map(String.init)))
            let times = records.map { $0[1] }
            #expect(times == times.sorted(), "oldest first")
            #expect(times.allSatisfy { $0.hasSuffix("Z") && $0.count == 24 })
            let gates = records.map { $0[7] }
            #expect(gates.contains(#"North, "Main""#))
            #expect(gates.contains("'@SUM(1)"), "a formula is made text")
            #expect(!gates.contains("@SUM(1)"))

            let attendees = try await Self.parse(try await export("attendees").body)
            #expect(attendees.first == ExportKind.attendees.columns)
            #expect(attendees.count == 4)
            #expect(attendees.dropFirst().allSatisfy { $0[5] == #"'=HYPERLINK("http://evil.example","click")"# })
            #expect(attendees.dropFirst().allSatisfy { $0[6] == "buyer@example.com" && $0[8] == "25.00" && $0[9] == "EUR" })
            #expect(attendees.dropFirst().map { $0[14] }.sorted() == ["false", "true", "true"])

            let orders = try await Self.parse(try await export("orders").body)
            #expect(orders.count == 2)
            #expect(orders[1][0] == booking["id"].string && orders[1][2] == "paid" && orders[1][7] == "3 × Standard")
            #expect(orders[1][9] == "75.00" && orders[1][10] == "0.00" && orders[1][11] == "EUR" && !orders[1][12].isEmpty)

            let transactions = try await Self.parse(try await export("transactions").body)
            #expect(transactions.count == 2 && transactions[1][2] == "charge" && transactions[1][7] == "75.00")

            let doorSales = try await Self.parse(try await export("door-sales").body)
            #expect(doorSales.count == 2)
            #expect(doorSales[1][5] == "Door A" && doorSales[1][7] == "2" && doorSales[1][9] == "50.00" && doorSales[1][11] == "false")
            #expect(Set(doorSales[1][12].split(separator: " ").map(String.init))
                == Set(doorTickets.map { $0.id.lowercasedText }))

            let conflicts = try await Self.parse(try await export("conflicts").body)
            #expect(conflicts.count == 2 && conflicts[1][4] == "sale_beyond_allotment" && conflicts[1][9] == doorSales[1][0])

            // Organizer-wide: every event of the caller's, none of anyone else's.
            let second = try await server.createEvent(
                token: sale.token, venue: venue, title: "+Second night", days: 40)
            try await server.sql(
                """
                INSERT INTO scans (id, ticket_id, issue_version, event_id, direction, gate, node_id, hlc, scanned_at, verdict)
                VALUES (gen_random_uuid(), gen_random_uuid(), 1, '\(second)', 'entry', 'Late', '\(CheckInService.serverNodeID)', 1,
                        now(), 'invalid_signature')
                """)
            let all = try await server.api.get("/api/v1/organizers/me/exports/check-ins", token: sale.token)
            #expect(all.headers.first(name: "content-disposition") == #"attachment; filename="check-ins-all-events.csv""#)
            let allRows = try await Self.parse(all.body)
            #expect(allRows.count == 2504)
            #expect(allRows.last?[3] == "'+Second night")
            let theirs = try await Self.parse(
                try await server.api.get("/api/v1/organizers/me/exports/check-ins", token: other.token).body)
            #expect(theirs == [ExportKind.checkIns.columns])
            let theirTransactions = try await Self.parse(
                try await server.api.get("/api/v1/organizers/me/exports/transactions", token: other.token).body)
            #expect(theirTransactions.count == 1)
            #expect(try await Self.parse(try await server.api.get(
                "/api/v1/organizers/me/exports/transactions", token: sale.token).body).count == 2)

            // Refusals: someone else's event, a buyer, no sign-in, an export that does not exist.
            #expect(try await export("check-ins", token: other.token).status == 403)
            #expect(try await export("orders", token: buyer).status == 403)
            #expect(try await server.api.get("/api/v1/events/\(sale.event)/exports/orders").status == 401)
            #expect(try await server.api.get("/api/v1/organizers/me/exports/orders", token: buyer).status == 403)
            let unknown = try await export("passwords")
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
            #expect(unknown.json["error"]["message"].string?.contains("check-ins") == true)
            // An admin may export any event.
            #expect(try await export("orders", token: admin).status == 200)

            // The organizer's pages link every export and serve them from the session.
            let web = try await server.signedInBrowser(email: "org@example.com", password: "correct horse battery")
            let dashboard = try await web.get("/organizer")
            for kind in ExportKind.allCases { #expect(dashboard.html.contains(#"href="/organizer/exports/\#(kind.rawValue)""#)) }
            let eventPage = try await web.get("/organizer/events/\(sale.event)")
            #expect(eventPage.html.contains(#"href="/organizer/events/\#(sale.event)/exports/attendees""#))
            let download = try await web.get("/organizer/events/\(sale.event)/exports/door-sales")
            #expect(download.status == 200 && download.html.hasPrefix(
                ExportKind.doorSales.columns.map { "\"\($0)\"" }.joined(separator: ",") + "\r\n"))
            #expect(try await web.get("/organizer/events/\(other.event)/exports/orders").status == 403)
            #expect(try await web.get("/organizer/exports/passwords").status == 404)
            #expect(try await server.browser().get("/organizer/exports/orders").status == 303, "signed out: to the sign-in page")
        }
    }
}
