import Foundation
import Logging
import PostgresNIO
import SpotNode
import SpotServer
import SpotTestSupport
import Testing

/// The server on PostgreSQL and two venue nodes, all real `spot` processes on real sockets:
/// the venue loses the server, both nodes keep scanning and selling, the server returns,
/// and everything converges exactly once.
@Suite("Venue nodes end to end", .serialized)
struct VenueNodeTests {
    struct Venue {
        let organizer: String
        let event: String
        let ticketType: String
        let venue: String
        let tickets: [(id: String, payload: String, booking: String)]
        let buyer: String
    }

    /// A verified organizer with an event on sale at a venue, and a buyer holding `count` tickets.
    static func venue(_ api: APIClient, database: DatabaseConfiguration, tickets count: Int) async throws -> Venue {
        let adminEmail = "admin@example.com"
        try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
            let database = Database(client: client, maximumConnections: 2, registry: .init())
            _ = try await ServerMaintenance.createAdmin(
                email: adminEmail, password: "admin password 1", displayName: "Admin", database: database,
                logger: Logger(label: "e2e"))
        }
        let admin = try await api.post("/api/v1/auth/login", ["email": adminEmail, "password": "admin password 1"]).json["access_token"].string!
        let organizer = try await api.post(
            "/api/v1/auth/register",
            ["email": "org@example.com", "password": "correct horse battery", "display_name": "Org", "role": "organizer"]
        ).json["access_token"].string!
        let organizerID = try await api.get("/api/v1/organizers/me", token: organizer).json["id"].string!
        _ = try await api.post("/api/v1/admin/organizers/\(organizerID)/verify", token: admin)
        let venue = try await api.post(
            "/api/v1/venues", ["name": "Harbour Hall", "city": "Hamburg", "address": "Kai 1", "time_zone": "Europe/Berlin"],
            token: organizer).json["id"].string!
        let start = Date().addingTimeInterval(3600)
        let event = try await api.post(
            "/api/v1/events",
            ["venue_id": venue, "category": "music", "title": "Night Shift", "description": "Doors at eight",
             "starts_at": start.formatted(.iso8601), "ends_at": start.addingTimeInterval(6 * 3600).formatted(.iso8601)],
            token: organizer).json["id"].string!
        let ticketType = try await api.post(
            "/api/v1/events/\(event)/ticket-types", ["name": "Standard", "price_minor": 2500, "currency": "EUR", "capacity": 100],
            token: organizer).json["id"].string!
        let published = try await api.post("/api/v1/events/\(event)/publish", token: organizer)
        #expect(published.status == 200)
        let buyer = try await api.post(
            "/api/v1/auth/register", ["email": "buyer@example.com", "password": "correct horse battery", "display_name": "B"]
        ).json["access_token"].string!
        let held = try await api.post(
            "/api/v1/bookings", ["event_id": event, "items": [["ticket_type_id": ticketType, "quantity": count] as [String: any Sendable]]],
            token: buyer)
        let booking = held.json["id"].string!
        let paid = try await api.post(
            "/api/v1/bookings/\(booking)/checkout", ["card": ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"]],
            token: buyer, headers: [("Idempotency-Key", "pay-1")])
        #expect(paid.status == 200, "\(paid.text)")
        let wallet = try await api.get("/api/v1/wallet", token: buyer).json["items"].array
        return Venue(
            organizer: organizer, event: event, ticketType: ticketType, venue: venue,
            tickets: wallet.map { ($0["id"].string!, $0["payload"].string!, booking) }, buyer: buyer)
    }

    /// Enrolls a node through the CLI into `directory` and grants it `seats`.
    static func enroll(
        _ api: APIClient, serverURL: String, venue: Venue, name: String, directory: String, seats: Int
    ) async throws -> String {
        let code = try await api.post(
            "/api/v1/venues/\(venue.venue)/enrollment-codes", ["name": name], token: venue.organizer).json["code"].string!
        let enrolled = try await runProcess(
            try spotBinary(), ["node", "enroll", "--server", serverURL, "--code", code, "--data", directory, "--pin", staffPIN])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")
        let status = try await runProcess(try spotBinary(), ["node", "status", "--data", directory, "--json"])
        let node = try #require(JSON(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)))["node_id"].string)
        let granted = try await api.send(
            .PUT, "/api/v1/nodes/\(node)/allotments/\(venue.ticketType)", json: ["granted": seats], token: venue.organizer)
        #expect(granted.status == 200, "\(granted.text)")
        return node
    }

    static func sync(_ directory: String) async throws {
        let result = try await runProcess(try spotBinary(), ["node", "sync", "--data", directory])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// The staff PIN every test node is enrolled with.
    static let staffPIN = "2468"

    /// Signs door staff in to a running node: a client sending the session's token.
    static func staff(_ node: ServerProcess) async throws -> APIClient {
        let session = try await node.api.post("/api/v1/session", ["pin": staffPIN])
        #expect(session.status == 201, "\(session.text)")
        return node.api.authorized(try #require(session.json["token"].string))
    }

    static func scan(_ api: APIClient, _ payload: String, gate: String) async throws -> JSON {
        let response = try await api.post("/api/v1/scans", ["payload": payload, "gate": gate])
        #expect(response.status == 200, "\(response.text)")
        return response.json
    }

    @Test("Outage with a v2 node and a v1 node: both scan and sell offline; after the server returns everything is on it exactly once, the nodes converge, and a refund reaches both")
    func outage() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-venue")
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = ServerProcessTests.url(database)
            let port = try freePort()
            let serverURL = "http://127.0.0.1:\(port)"
            let serverArguments = ["server", "--port", String(port), "--database-url", url, "--password-cost", "4"]
            var server = try await ServerProcess.launch(serverArguments, port: port)
            let venue = try await Self.venue(server.api, database: database, tickets: 4)
            let dirA = directory.appendingPathComponent("a").path
            let dirB = directory.appendingPathComponent("b").path
            _ = try await Self.enroll(server.api, serverURL: serverURL, venue: venue, name: "Door A", directory: dirA, seats: 5)
            _ = try await Self.enroll(server.api, serverURL: serverURL, venue: venue, name: "Door B", directory: dirB, seats: 5)
            // Ticket 0 is refunded before the outage: the nodes hear of it.
            let refund = try await server.api.post(
                "/api/v1/bookings/\(venue.tickets[0].booking)/refunds", ["ticket_ids": [venue.tickets[0].id]],
                token: venue.organizer, headers: [("Idempotency-Key", "refund-0")])
            #expect(refund.status == 200, "\(refund.text)")
            for directory in [dirA, dirB, dirA] { try await Self.sync(directory) }

            // The outage. Ticket 1 is refunded centrally meanwhile (through a server the nodes cannot see).
            #expect(try await server.stop() == 0)
            let side = try await ServerProcess.start(["--database-url", url, "--password-cost", "4"])
            let during = try await side.api.post(
                "/api/v1/bookings/\(venue.tickets[1].booking)/refunds", ["ticket_ids": [venue.tickets[1].id]],
                token: venue.organizer, headers: [("Idempotency-Key", "refund-1")])
            #expect(during.status == 200, "\(during.text)")
            #expect(try await side.stop() == 0)

            let portA = try freePort()
            let portB = try freePort()
            let nodeA = try await ServerProcess.launch(
                ["node", "run", "--data", dirA, "--port", String(portA), "--sync-interval", "0.5"], port: portA)
            // Door B is an older node: it speaks sync protocol 1 and polls; door A follows the feed live (v2).
            let nodeB = try await ServerProcess.launch(
                ["node", "run", "--data", dirB, "--port", String(portB), "--sync-interval", "0.5", "--sync-protocol", "1"],
                port: portB)
            let staffA = try await Self.staff(nodeA)
            let staffB = try await Self.staff(nodeB)
            let t = venue.tickets
            // Scans and sales need a staff session (the outbox counts below prove the refused ones wrote nothing).
            let anonymous = try await nodeA.api.post("/api/v1/scans", ["payload": t[1].payload, "gate": "A"])
            #expect(anonymous.status == 401 && anonymous.json["error"]["code"].string == "sign_in_required")
            let forgedToken = try await nodeA.api.authorized("forged").post(
                "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": 1, "payment_method": "cash"])
            #expect(forgedToken.status == 401)
            let wrongPIN = try await nodeA.api.post("/api/v1/session", ["pin": "0000"])
            #expect(wrongPIN.status == 401 && wrongPIN.json["error"]["code"].string == "wrong_pin")
            #expect(try await nodeA.api.post("/api/v1/session", ["pin": "12"]).status == 401)
            #expect(try await nodeA.api.post("/api/v1/session", ["code": "2468"]).status == 422)
            #expect(try await staffA.get("/api/v1/session").json["idle_timeout_seconds"].int == 300)
            #expect(try await Self.scan(staffA, t[0].payload, gate: "A")["verdict"].string == "revoked")
            #expect(try await Self.scan(staffA, t[1].payload, gate: "A")["verdict"].string == "ok")
            #expect(try await Self.scan(staffA, t[2].payload, gate: "A")["verdict"].string == "ok")
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await Self.scan(staffB, t[2].payload, gate: "B")["verdict"].string == "ok")
            let again = try await Self.scan(staffA, t[2].payload, gate: "A2")
            #expect(again["verdict"].string == "already_admitted")
            #expect(again["admitted_gate"].string == "A")
            #expect(try await Self.scan(staffB, t[3].payload, gate: "B")["verdict"].string == "ok")
            #expect(try await Self.scan(staffB, "NOT-A-TICKET", gate: "B")["signal"].string == "red")
            // Door sales on both nodes, offline; a ticket sold at A is valid at B.
            let saleA = try await staffA.post(
                "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": 2, "payment_method": "cash"])
            #expect(saleA.status == 201, "\(saleA.text)")
            let saleB = try await staffB.post(
                "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": 1, "payment_method": "card_present"])
            #expect(saleB.status == 201, "\(saleB.text)")
            let soldAtA = try #require(saleA.json["tickets"].array.first?["payload"].string)
            #expect(try await Self.scan(staffB, soldAtA, gate: "B")["verdict"].string == "ok")
            // Signing out ends the session at once.
            #expect(try await staffB.delete("/api/v1/session").status == 204)
            #expect(try await staffB.post("/api/v1/scans", ["payload": t[3].payload, "gate": "B"]).status == 401)
            let tooMany = try await staffA.post(
                "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": 4, "payment_method": "cash"])
            #expect(tooMany.status == 409)
            #expect(tooMany.errorCode == "allotment_exhausted")
            // Bad input gets a clear error and sells nothing.
            let badType = try await staffA.post(
                "/api/v1/sales", ["ticket_type_id": "not-a-uuid", "quantity": 1, "payment_method": "cash"])
            #expect(badType.status == 422)
            #expect(badType.json["error"]["message"].string == "ticket_type_id must be a UUID")
            let garbage = try await staffA.send(.POST, "/api/v1/sales", body: Data("{".utf8))
            #expect(garbage.errorCode == "invalid_json")
            // 4 scans and a sale wait in A's outbox; the status says it is offline.
            var offline = try await nodeA.api.get("/api/v1/status")
            for _ in 0..<100 where offline.json["online"].bool != false {
                try await Task.sleep(for: .milliseconds(100))
                offline = try await nodeA.api.get("/api/v1/status")
            }
            #expect(offline.json["online"].bool == false, "\(offline.text)")
            #expect(offline.json["outbox_depth"].int == 5)

            // The server returns; the nodes push and pull on their own until both have seen everything.
            server = try await ServerProcess.launch(serverArguments, port: port)
            let pathA = dirA + "/node.sqlite"
            let pathB = dirB + "/node.sqlite"
            let deadline = ContinuousClock.now + .seconds(60)
            var converged = false
            while ContinuousClock.now < deadline, !converged {
                try await Task.sleep(for: .milliseconds(300))
                let a = try NodeDatabase.open(path: pathA)
                let b = try NodeDatabase.open(path: pathB)
                converged = try a.outboxDepth() == 0 && b.outboxDepth() == 0 && a.admittedTickets() == b.admittedTickets()
                    && a.admittedTickets().count == 4 && a.status().conflicts == 2 && b.status().conflicts == 2
            }
            let a = try NodeDatabase.open(path: pathA)
            let b = try NodeDatabase.open(path: pathB)
            let report = "A \(try a.status()) \(try a.admittedTickets())\nB \(try b.status()) \(try b.admittedTickets())"
            #expect(converged, "nodes did not converge: \(report)\n\(nodeA.log)\n\(nodeB.log)")
            let online = try await nodeA.api.get("/api/v1/status")
            #expect(online.json["online"].bool == true)
            #expect(online.json["protocol_version"].int == 2)
            #expect(try await nodeB.api.get("/api/v1/status").json["protocol_version"].int == 1)
            #expect(try a.revokedTickets() == [UUID(uuidString: t[0].id)!, UUID(uuidString: t[1].id)!])
            #expect(try b.revokedTickets() == a.revokedTickets())

            // A refund once the venue is back reaches the live node at once and the polling one at its next poll.
            let later = try await server.api.post(
                "/api/v1/bookings/\(venue.tickets[3].booking)/refunds", ["ticket_ids": [venue.tickets[3].id]],
                token: venue.organizer, headers: [("Idempotency-Key", "refund-3")])
            #expect(later.status == 200, "\(later.text)")
            let refunded = UUID(uuidString: t[3].id)!
            let clock = ContinuousClock()
            let refundedAt = clock.now
            var reachedA: Duration?
            var reachedB: Duration?
            while clock.now - refundedAt < .seconds(20), reachedA == nil || reachedB == nil {
                if reachedA == nil, try a.revokedTickets().contains(refunded) { reachedA = clock.now - refundedAt }
                if reachedB == nil, try b.revokedTickets().contains(refunded) { reachedB = clock.now - refundedAt }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(reachedA != nil && reachedA! < .seconds(1), "v2 node: \(String(describing: reachedA))")
            #expect(reachedB != nil, "v1 node never heard of the refund")
            #expect(try a.revokedTickets() == b.revokedTickets())

            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { (client: PostgresClient) async throws -> Void in
                func count(_ sql: String) async throws -> Int {
                    for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "e2e")).decode(Int.self) {
                        return value
                    }
                    return -1
                }
                // Every scan that named a ticket of the venue, and every sale, exactly once.
                #expect(try await count("SELECT count(*)::int FROM scans") == 7)
                #expect(try await count("SELECT count(DISTINCT id)::int FROM scans") == 7)
                #expect(try await count("SELECT count(*)::int FROM door_sales") == 2)
                #expect(try await count("SELECT count(*)::int FROM door_tickets") == 3)
                // The cross-node duplicate: the earliest scan (A's) is the admission.
                #expect(try await count(
                    """
                    SELECT count(*)::int FROM conflicts c JOIN scans s ON s.id = c.scan_id JOIN scans a ON a.id = c.admitted_scan_id
                    WHERE c.kind = 'duplicate_admission' AND s.gate = 'B' AND a.gate = 'A'
                    """) == 1)
                #expect(try await count(
                    "SELECT count(*)::int FROM conflicts WHERE kind = 'admitted_after_revocation' AND ticket_id = '\(t[1].id)'") == 1)
                #expect(try await count("SELECT count(*)::int FROM conflicts") == 2)
                // Inventory: online + allotments within capacity; each node's sales within its allotment.
                #expect(try await count("SELECT count(*)::int FROM ticket_types WHERE reserved + allotted > capacity") == 0)
                #expect(try await count("SELECT count(*)::int FROM allotments WHERE sold > granted") == 0)
                #expect(try await count("SELECT sum(sold)::int FROM allotments") == 3)
            }
            let conflicts = try await server.api.get("/api/v1/events/\(venue.event)/conflicts", token: venue.organizer)
            #expect(conflicts.json["items"].array.count == 2)
            let nodes = try await server.api.get("/api/v1/venues/\(venue.venue)/nodes", token: venue.organizer).json["items"].array
            #expect(nodes.count == 2)
            #expect(Set(nodes.compactMap { $0["protocol_version"].int }) == [1, 2], "the server sees which version each node speaks")
            #expect(nodes.allSatisfy { $0["outbox_depth"].int == 0 && $0["last_push_at"].string != nil })
            for process in [nodeA, nodeB, server] { #expect(try await process.stop() == 0) }
        }
    }

    @Test("A node offline for longer than the feed keeps changes is told cursor_expired and downloads a fresh snapshot")
    func feedExpiry() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-expiry")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freePort()
            let serverArguments = [
                "server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4",
                "--sync-feed-prune-interval", "0.2",
            ]
            var server = try await ServerProcess.launch(serverArguments, port: port)
            let venue = try await Self.venue(server.api, database: database, tickets: 1)
            let data = directory.appendingPathComponent("node").path
            _ = try await Self.enroll(server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: "Door", directory: data, seats: 1)
            try await Self.sync(data)
            // A change the node has not pulled; then, with the server down, the feed ages past its 30 days.
            let moved = try await server.api.patch("/api/v1/events/\(venue.event)", ["title": "Night Shift (moved)"], token: venue.organizer)
            #expect(moved.status == 200)
            #expect(try await server.stop() == 0)
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                try await client.query("UPDATE sync_feed SET recorded_at = now() - interval '31 days'", logger: Logger(label: "e2e"))
            }
            server = try await ServerProcess.launch(serverArguments, port: port)
            let deadline = ContinuousClock.now + .seconds(30)
            var pruned = false
            while !pruned, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                pruned = try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                    let rows = try await client.query(
                        "SELECT count(*)::int FROM sync_feed_horizons WHERE venue_id = \(UUID(uuidString: venue.venue)!)",
                        logger: Logger(label: "e2e"))
                    for try await count in rows.decode(Int.self) { return count == 1 }
                    return false
                }
            }
            #expect(pruned, "the server did not prune the aged feed: \(server.log)")
            let sync = try await runProcess(try spotBinary(), ["node", "sync", "--data", data])
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(sync.stdout.contains("Snapshot applied: 1 tickets."), "\(sync.stdout)")
            let titles = try NodeDatabase.open(path: data + "/node.sqlite").catalogue().map(\.event.title)
            #expect(titles == ["Night Shift (moved)"])
            #expect(try await server.stop() == 0)
        }
    }

    @Test("kill -9 a node in the middle of a push and in the middle of sales: after a restart nothing is lost or doubled")
    func killNine() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-kill")
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = ServerProcessTests.url(database)
            let port = try freePort()
            let serverArguments = ["server", "--port", String(port), "--database-url", url, "--password-cost", "4"]
            var server = try await ServerProcess.launch(serverArguments, port: port)
            let venue = try await Self.venue(server.api, database: database, tickets: 1)
            let data = directory.appendingPathComponent("node").path
            _ = try await Self.enroll(server.api, serverURL: "http://127.0.0.1:\(port)", venue: venue, name: "Door", directory: data, seats: 90)
            try await Self.sync(data)
            #expect(try await server.stop() == 0)

            let nodePort = try freePort()
            let nodeArguments = [
                "node", "run", "--data", data, "--port", String(nodePort), "--sync-interval", "0.2", "--push-batch-size", "5",
            ]
            var node = try await ServerProcess.launch(nodeArguments, port: nodePort)
            let staff = try await Self.staff(node)
            // Offline: 60 sales, each ticket scanned once — 120 facts in the outbox.
            var sold: [String] = []
            for _ in 0..<60 {
                let sale = try await staff.post(
                    "/api/v1/sales", ["ticket_type_id": venue.ticketType, "quantity": 1, "payment_method": "cash"])
                #expect(sale.status == 201)
                let payload = try #require(sale.json["tickets"].array.first?["payload"].string)
                #expect(try await Self.scan(staff, payload, gate: "Main")["verdict"].string == "ok")
                sold.append(try #require(sale.json["sale_id"].string))
            }
            // The server returns; once part of the outbox has reached it, the node is killed mid-push.
            server = try await ServerProcess.launch(serverArguments, port: port)
            func serverCount(_ sql: String) async throws -> Int {
                try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                    for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "e2e")).decode(Int.self) {
                        return value
                    }
                    return -1
                }
            }
            // (The node backed off while the server was away; ask it to sync now.)
            #expect(try await staff.post("/api/v1/sync").status == 202)
            var pushed = 0
            for _ in 0..<1000 where pushed == 0 {
                pushed = try await serverCount("SELECT count(*)::int FROM node_mutations")
                if pushed == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(try await node.stop(signal: SIGKILL) == 128 + SIGKILL)
            #expect(pushed > 0 && pushed < 120, "the kill should land mid-push (\(pushed) of 120 pushed)")

            // Mid-sale: sales in flight when the node is killed again.
            let victim = try await ServerProcess.launch(nodeArguments, port: nodePort)
            let victimToken = try #require(try await Self.staff(victim).bearerToken)
            let answered = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(5 * index))
                        // The node's own client: a refused connection fails at once instead of retrying.
                        let body = Data(#"{"ticket_type_id":"\#(venue.ticketType)","quantity":1,"payment_method":"card_present"}"#.utf8)
                        guard let (status, answer) = try? await SyncClient(serverURL: victim.api.baseURL).postRaw(
                            "/api/v1/sales", body: body, token: victimToken), status == 201
                        else { return nil }
                        return JSON(try JSONSerialization.jsonObject(with: answer))["sale_id"].string
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(40))
                    _ = try await victim.stop(signal: SIGKILL)
                    return nil
                }
                var ids: [String] = []
                for try await id in group { if let id { ids.append(id) } }
                return ids
            }
            // Restart; everything drains to the server exactly once.
            node = try await ServerProcess.launch(nodeArguments, port: nodePort)
            let deadline = ContinuousClock.now + .seconds(60)
            var status = try await node.api.get("/api/v1/status").json
            while ContinuousClock.now < deadline, status["outbox_depth"].int != 0 {
                try await Task.sleep(for: .milliseconds(100))
                status = try await node.api.get("/api/v1/status").json
            }
            #expect(status["outbox_depth"].int == 0, "\(node.log)")
            let nodeSales = try #require(status["door_sales"].int)
            #expect(nodeSales >= 60 + answered.count)
            #expect(try await serverCount("SELECT count(*)::int FROM door_sales") == nodeSales)
            #expect(try await serverCount("SELECT count(*)::int FROM door_tickets") == nodeSales)
            #expect(try await serverCount("SELECT count(*)::int FROM scans") == 60)
            #expect(try await serverCount("SELECT count(*)::int FROM node_mutations") == nodeSales + 60)
            #expect(try await serverCount("SELECT count(*)::int FROM node_mutations WHERE status = 'rejected'") == 0)
            let onServer = try await serverCount(
                "SELECT count(*)::int FROM door_sales WHERE id IN (\((sold + answered).map { "'\($0)'" }.joined(separator: ",")))")
            #expect(onServer == sold.count + answered.count)
            #expect(try await serverCount("SELECT sold FROM allotments") == nodeSales)
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }
}
