import Crypto
import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotServer
import SpotSync
import SpotTestSupport
import Testing

/// The venue mesh (peer protocol v1) between two real `spot node run` processes with the
/// server down: a ticket admitted at one door is `already_admitted` at the other within a
/// second, only certified nodes of the venue are believed, and when the server returns every
/// scan is on it exactly once.
@Suite("Venue mesh: two doors with the server down")
struct VenueMeshTests {
    /// A peer request signed by `key` in the name of `node`, as peer-v1.md §3 says.
    static func signedGet(_ api: APIClient, _ target: String, node: UUID, key: Curve25519.Signing.PrivateKey, time: Int64? = nil)
        async throws -> APIResponse
    {
        let time = time ?? Int64(Date().timeIntervalSince1970 * 1000)
        let signature = try key.signature(for: PeerProtocol.requestMessage(method: "GET", target: target, node: node, time: time))
        return try await api.send(.GET, target, headers: [
            (PeerProtocol.Header.node, node.lowercasedText), (PeerProtocol.Header.time, String(time)),
            (PeerProtocol.Header.signature, signature.base64EncodedString()),
        ])
    }

    @Test("With the server down, each of 10 admissions at door A is known at door B within 1 s; B refuses a ticket A admitted, and A one B admitted; strangers and forgeries get nothing; back online, every scan is on the server once and no double admission")
    func twoDoors() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-mesh")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 10, seats: 2)
            let (nodeB, dataB) = try await scene.enrollDoor("Door B", in: directory, seats: 2)
            try await VenueNodeTests.sync(dataB)
            try await VenueNodeTests.sync(scene.data)  // door A learns door B's device certificate
            #expect(try await scene.server.stop() == 0)

            let portA = try freePort(), portB = try freePort()
            let a = try await ServerProcess.launch(
                ["node", "run", "--data", scene.data, "--port", String(portA), "--peer", "http://127.0.0.1:\(portB)",
                 "--kiosk", repositoryRoot.appendingPathComponent("Kiosk").path], port: portA)
            let b = try await ServerProcess.launch(
                ["node", "run", "--data", dataB, "--port", String(portB), "--peer", "http://127.0.0.1:\(portA)"], port: portB)
            let (staffA, staffB) = (try await VenueNodeTests.staff(a), try await VenueNodeTests.staff(b))

            // Only a certified node of the venue reads a door's scans, and only with a fresh, valid signature.
            let target = "\(PeerProtocol.factsPath)?after=0&wait=0"
            #expect(try await a.api.get(target).status == 401, "unsigned")
            #expect(try await Self.signedGet(a.api, target, node: nodeB, key: .init()).status == 401, "door B's name, another key")
            #expect(try await Self.signedGet(a.api, target, node: UUID(), key: .init()).status == 403, "a node this venue does not know")
            let stale = try await Self.signedGet(a.api, target, node: nodeB, key: .init(), time: 0)
            #expect(stale.status == 401 && stale.text.contains("60 s"), "\(stale.text)")
            #expect(try await staffA.get(target).status == 401, "a staff session is not a node")

            // Door A admits; door B knows it.
            let tickets = scene.venue.tickets
            let clock = ContinuousClock()
            var latencies: [Duration] = []
            for ticket in tickets.prefix(9) {
                #expect(try await VenueNodeTests.scan(staffA, ticket.payload, gate: "North")["verdict"].string == "ok")
                let admitted = clock.now
                var known = false
                while clock.now - admitted < .seconds(5) {
                    let scans = try await staffB.get("/api/v1/scans?ticket=\(ticket.id)").json["scans"].array
                    if scans.contains(where: { $0["here"].bool == false && $0["verdict"].string == "ok" }) {
                        known = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(known, "door B never heard of ticket \(ticket.id)")
                latencies.append(clock.now - admitted)
            }
            let slowest = try #require(latencies.max())
            print("venue mesh: an admission at door A known at door B after at most \(slowest) (\(latencies.count) tickets)")
            #expect(slowest <= .seconds(1), "p99 of 9 is the slowest: \(slowest)")
            // Each door's status (and the kiosk's status bar) names the peer it follows.
            for (door, peer) in [(a, "Door B"), (b, "Door")] {
                let peers = try await door.api.get("/api/v1/status").json["peers"].array
                #expect(peers.map { $0["name"].string } == [peer], "\(peers)")
            }
            let kiosk = try await KioskBrowserTests().browser(
                "peers", [], url: "http://127.0.0.1:\(portA)/kiosk/", screenshots: try artifactDirectory("mesh"))
            #expect(kiosk.status == 0 && kiosk.stdout.contains("all kiosk peers checks passed"), "\(kiosk.stdout)\n\(kiosk.stderr)")
            let again = try await VenueNodeTests.scan(staffB, tickets[0].payload, gate: "South")
            #expect(again["verdict"].string == "already_admitted" && again["admitted_gate"].string == "North", "\(again)")
            #expect(again["admitted_node"].string == "Door" && again["message"].string?.hasSuffix("at gate North (Door).") == true,
                    "door B names the door that admitted it: \(again)")
            // And the other way.
            #expect(try await VenueNodeTests.scan(staffB, tickets[9].payload, gate: "South")["verdict"].string == "ok")
            let admittedAtB = clock.now
            while clock.now - admittedAtB < .seconds(1),
                try await staffA.get("/api/v1/scans?ticket=\(tickets[9].id)").json["scans"].array.isEmpty
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            let refusedAtA = try await VenueNodeTests.scan(staffA, tickets[9].payload, gate: "North")
            #expect(refusedAtA["verdict"].string == "already_admitted" && refusedAtA["admitted_gate"].string == "South")

            // The server returns: each door pushes its own scans, once.
            let server = try await ServerProcess.launch(DoorScene.serverArguments(database: database, port: scene.port), port: scene.port)
            for staff in [staffA, staffB] { #expect(try await staff.send(.POST, "/api/v1/sync").status == 202) }
            var counts = (0, 0, 0)
            for _ in 0..<100 {
                counts = try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                    let rows = try await client.query(
                        """
                        SELECT (SELECT count(*)::int FROM scans), (SELECT count(*)::int FROM scans WHERE verdict = 'ok'),
                               (SELECT count(*)::int FROM conflicts)
                        """, logger: Logger(label: "e2e"))
                    for try await row in rows.decode((Int, Int, Int).self) { return row }
                    return (0, 0, 0)
                }
                if counts.0 >= 12 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(counts.0 == 12, "9 at A, 1 at B, and each door's refusal of the other's: \(counts)")
            #expect(counts.1 == 10, "each ticket admitted once")
            #expect(counts.2 == 0, "no double admission to resolve")
            for process in [a, b, server] { #expect(try await process.stop() == 0) }
        }
    }

    /// One row of numbers from the test database.
    static func numbers(_ database: DatabaseConfiguration, _ sql: String) async throws -> [Int] {
        try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "e2e"))
            for try await row in rows {
                return try row.makeRandomAccess().map { try $0.decode(Int.self) }
            }
            return []
        }
    }

    @Test("A dead door loses nothing: with the server down, door A admits, refuses, sells and releases; its facts reach door B; A's box dies (kill -9, data removed); back online, B relays every fact of A to the server exactly once; A re-enrolled on a new box continues without doubles")
    func deadDoor() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-mesh-relay")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 6, seats: 3)
            let status = try await runProcess(try spotBinary(), ["node", "status", "--data", scene.data, "--json"])
            let nodeA = try #require(UUID(uuidString: JSON(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)))["node_id"].string ?? ""))
            let dataB = try await scene.enrollDoor("Door B", in: directory).data
            try await VenueNodeTests.sync(dataB)
            try await VenueNodeTests.sync(scene.data)  // door A learns door B's device certificate
            #expect(try await scene.server.stop() == 0)

            let portA = try freePort(), portB = try freePort()
            let a = try await ServerProcess.launch(["node", "run", "--data", scene.data, "--port", String(portA)], port: portA)
            let b = try await ServerProcess.launch(
                ["node", "run", "--data", dataB, "--port", String(portB), "--peer", "http://127.0.0.1:\(portA)", "--relay-after", "1"],
                port: portB)
            let (staffA, staffB) = (try await VenueNodeTests.staff(a), try await VenueNodeTests.staff(b))

            // Door A, offline: four admissions, a refusal, a sale of one ticket and a release of one seat — seven facts.
            let tickets = scene.venue.tickets
            for ticket in tickets.prefix(4) {
                #expect(try await VenueNodeTests.scan(staffA, ticket.payload, gate: "North")["verdict"].string == "ok")
            }
            #expect(try await VenueNodeTests.scan(staffA, tickets[0].payload, gate: "North")["verdict"].string == "already_admitted")
            let sale = try await staffA.post(
                "/api/v1/sales", ["ticket_type_id": scene.venue.ticketType, "quantity": 1, "payment_method": "cash"])
            #expect(sale.status == 201, "\(sale.text)")
            let soldTicket = try #require(sale.json["tickets"].array.first?["payload"].string)
            let released = try await staffA.post("/api/v1/allotments/release", ["ticket_type_id": scene.venue.ticketType, "quantity": 1])
            #expect(released.status == 200, "\(released.text)")

            // Door B holds all seven, signed by A.
            var held = 0
            for _ in 0..<100 {
                held = try await b.api.get("/api/v1/status").json["peers"].array.first?["to_relay"].int ?? 0
                if held == 7 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(held == 7, "door B holds door A's facts for the server")
            let before = try await VenueNodeTests.scan(staffB, tickets[1].payload, gate: "South")
            #expect(before["verdict"].string == "already_admitted" && before["admitted_gate"].string == "North")

            // Door A's box dies: killed, its data gone.
            #expect(try await a.stop(signal: SIGKILL) == 128 + SIGKILL)
            try FileManager.default.removeItem(atPath: scene.data)

            // The server returns; door B relays.
            let server = try await ServerProcess.launch(DoorScene.serverArguments(database: database, port: scene.port), port: scene.port)
            #expect(try await staffB.send(.POST, "/api/v1/sync").status == 202)
            let a_ = nodeA.uuidString.lowercased()
            let query = """
                SELECT (SELECT count(*)::int FROM node_mutations WHERE node_id = '\(a_)'),
                       (SELECT count(DISTINCT mutation_id)::int FROM node_mutations WHERE node_id = '\(a_)'),
                       (SELECT coalesce(max(mutation_id), 0)::int FROM node_mutations WHERE node_id = '\(a_)'),
                       (SELECT count(*)::int FROM scans WHERE node_id = '\(a_)'),
                       (SELECT count(*)::int FROM scans WHERE node_id = '\(a_)' AND verdict = 'ok'),
                       (SELECT count(*)::int FROM door_sales WHERE node_id = '\(a_)'),
                       (SELECT count(*)::int FROM door_tickets t JOIN door_sales s ON s.id = t.sale_id WHERE s.node_id = '\(a_)'),
                       (SELECT count(*)::int FROM conflicts)
                """
            var counts: [Int] = []
            for _ in 0..<300 {
                counts = try await Self.numbers(database, query)
                if counts.first == 7 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(counts == [7, 7, 7, 5, 4, 1, 1, 0], "mutations, distinct, last; scans, admissions; sales, their tickets; conflicts: \(counts)")
            var left = -1
            for _ in 0..<50 {
                left = try await b.api.get("/api/v1/status").json["peers"].array.first?["to_relay"].int ?? -1
                if left == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(left == 0, "door B holds nothing more for the server")

            // Door A again, on a new box: what the old one admitted is known; its door-sold ticket admits once.
            let dataA2 = try await scene.enrollDoor("Door A", in: directory.appendingPathComponent("new-box"), api: server.api).data
            try await VenueNodeTests.sync(dataA2)
            let portA2 = try freePort()
            let a2 = try await ServerProcess.launch(["node", "run", "--data", dataA2, "--port", String(portA2)], port: portA2)
            let staffA2 = try await VenueNodeTests.staff(a2)
            let known = try await VenueNodeTests.scan(staffA2, tickets[2].payload, gate: "North")
            #expect(known["verdict"].string == "already_admitted", "\(known)")
            #expect(try await VenueNodeTests.scan(staffA2, soldTicket, gate: "North")["verdict"].string == "ok")
            #expect(try await staffA2.send(.POST, "/api/v1/sync").status == 202)
            var final: [Int] = []
            for _ in 0..<100 {
                final = try await Self.numbers(
                    database, "SELECT (SELECT count(*)::int FROM scans WHERE verdict = 'ok'), (SELECT count(*)::int FROM conflicts)")
                if final.first == 5 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(final == [5, 0], "four admissions by the old box, the door-sold ticket by the new one, no double: \(final)")
            for process in [a2, b, server] { #expect(try await process.stop() == 0) }
        }
    }

    /// Polls `door`'s ticket look-up until it shows a scan another door made; the time it took, or nil after `limit`.
    static func known(_ ticket: String, at door: APIClient, within limit: Duration) async throws -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            let scans = try await door.get("/api/v1/scans?ticket=\(ticket)").json["scans"].array
            if scans.contains(where: { $0["here"].bool == false && $0["verdict"].string == "ok" }) { return clock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test("Three doors find each other through the server (no --peer); with the server down each of 6 tickets admitted at one door is refused at the next; a door stopped (SIGSTOP) while another admits catches up when it resumes; back online, every scan once and no conflict")
    func threeDoors() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-mesh-three")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 7, seats: 1)
            var data = [scene.data]
            for name in ["Door B", "Door C"] { data.append(try await scene.enrollDoor(name, in: directory).data) }
            for folder in data { try await VenueNodeTests.sync(folder) }  // each learns the others' certificates

            var doors: [(process: ServerProcess, staff: APIClient)] = []
            for folder in data {
                let port = try freePort()
                let process = try await ServerProcess.launch(["node", "run", "--data", folder, "--port", String(port)], port: port)
                doors.append((process, try await VenueNodeTests.staff(process)))
            }
            // Each finds the other two through the server.
            let clock = ContinuousClock()
            let started = clock.now
            var following: [Int] = []
            while clock.now - started < .seconds(30) {
                following = []
                for door in doors { following.append(try await door.process.api.get("/api/v1/status").json["peers"].array.count) }
                if following == [2, 2, 2] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(following == [2, 2, 2], "peers each door follows: \(following)")
            print("venue mesh: three doors found each other through the server in \(clock.now - started)")
            #expect(try await scene.server.stop() == 0)

            let tickets = scene.venue.tickets
            var latencies: [Duration] = []
            for (index, ticket) in tickets.prefix(6).enumerated() {
                let (first, second, third) = (doors[index % 3], doors[(index + 1) % 3], doors[(index + 2) % 3])
                #expect(try await VenueNodeTests.scan(first.staff, ticket.payload, gate: "Gate \(index % 3)")["verdict"].string == "ok")
                for other in [second, third] {
                    let took = try await Self.known(ticket.id, at: other.staff, within: .seconds(5))
                    #expect(took != nil && took! <= .seconds(1), "ticket \(index) at another door after \(String(describing: took))")
                    if let took { latencies.append(took) }
                }
                let refused = try await VenueNodeTests.scan(second.staff, ticket.payload, gate: "Gate \((index + 1) % 3)")
                #expect(refused["verdict"].string == "already_admitted" && refused["admitted_gate"].string == "Gate \(index % 3)", "\(refused)")
            }
            print("venue mesh: 3 doors, an admission known at each other door after at most \(latencies.max() ?? .zero)")

            // Door C is cut off (stopped) while door A admits; resumed, it catches up.
            doors[2].process.freeze()
            #expect(try await VenueNodeTests.scan(doors[0].staff, tickets[6].payload, gate: "Gate 0")["verdict"].string == "ok")
            #expect(try await Self.known(tickets[6].id, at: doors[1].staff, within: .seconds(5)) != nil)
            try await Task.sleep(for: .seconds(1))
            doors[2].process.thaw()
            let caughtUp = try await Self.known(tickets[6].id, at: doors[2].staff, within: .seconds(15))
            #expect(caughtUp != nil, "door C never learnt what door A admitted while it was stopped")
            print("venue mesh: a door stopped for a second learnt the admission \(caughtUp ?? .zero) after it resumed")
            #expect(try await VenueNodeTests.scan(doors[2].staff, tickets[6].payload, gate: "Gate 2")["verdict"].string == "already_admitted")

            // Door C restarts with the server still away: it follows the peers it had, and they follow it back.
            #expect(try await doors[2].process.stop() == 0)
            let restarted = try await ServerProcess.launch(
                ["node", "run", "--data", data[2], "--port", String(doors[2].process.port)], port: doors[2].process.port)
            doors[2] = (restarted, try await VenueNodeTests.staff(restarted))
            var again: [String] = []
            for _ in 0..<100 {
                again = try await restarted.api.get("/api/v1/status").json["peers"].array.map {
                    "\($0["name"].string ?? "?") \($0["in_touch"].bool == true)"
                }
                if again == ["Door true", "Door B true"] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(again == ["Door true", "Door B true"], "after a restart without the server: \(again)")

            // Back online: each door pushes its own scans, once.
            let server = try await ServerProcess.launch(DoorScene.serverArguments(database: database, port: scene.port), port: scene.port)
            for door in doors { #expect(try await door.staff.send(.POST, "/api/v1/sync").status == 202) }
            var counts: [Int] = []
            for _ in 0..<100 {
                counts = try await Self.numbers(
                    database,
                    """
                    SELECT (SELECT count(*)::int FROM scans), (SELECT count(*)::int FROM scans WHERE verdict = 'ok'),
                           (SELECT count(*)::int FROM conflicts)
                    """)
                if counts.first == 14 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(counts == [14, 7, 0], "7 admissions and 7 refusals, no double admission: \(counts)")
            // Each stops at once, though peers and held pulls are waiting on it.
            for process in doors.map(\.process) + [server] {
                let stopping = clock.now
                #expect(try await process.stop() == 0)
                #expect(clock.now - stopping < .seconds(5), "SIGTERM took \(clock.now - stopping)")
            }
        }
    }

    @Test("Kiosk failover in headless Chromium: the organizer sets the venue's kiosks to switch by themselves; door A's node dies and its kiosk carries on at door B within 5 s, signed in with the staff pass and the same gate; door B's node (set by its operator to offer) dies and its kiosk offers door C, the only peer still in touch")
    func kioskFailover() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-mesh-failover")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 2, seats: 1)
            let setting = try await scene.server.api.send(
                .PATCH, "/api/v1/venues/\(scene.venue.venue)", json: ["kiosk_failover": "switch"], token: scene.venue.organizer)
            #expect(setting.status == 200 && setting.json["kiosk_failover"].string == "switch", "\(setting.text)")
            var data = [scene.data]
            for name in ["Door B", "Door C"] { data.append(try await scene.enrollDoor(name, in: directory).data) }
            // A node is certified at its first sync: a second round gives each the others' certificates.
            for folder in data + data { try await VenueNodeTests.sync(folder) }

            // The three find each other through the server, and learn the venue's setting; door B's operator overrides it.
            let ports = [try freePort(), try freePort(), try freePort()]
            let kiosk = repositoryRoot.appendingPathComponent("Kiosk").path
            func url(_ index: Int) -> String { "http://127.0.0.1:\(ports[index])" }
            var doors: [ServerProcess] = []
            for index in 0..<3 {
                doors.append(try await ServerProcess.launch(
                    ["node", "run", "--data", data[index], "--port", String(ports[index]), "--kiosk", kiosk]
                        + (index == 1 ? ["--kiosk-failover", "offer"] : []),
                    port: ports[index]))
            }
            var seen: [String] = []
            for _ in 0..<100 {
                seen = []
                for door in doors {
                    let status = try await door.api.get("/api/v1/status").json
                    seen.append("\(status["peers"].array.count) \(status["kiosk_failover"].string ?? "?")")
                }
                if seen == ["2 switch", "2 offer", "2 switch"] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(seen == ["2 switch", "2 offer", "2 switch"], "peers followed and failover setting per door: \(seen)")
            #expect(try await scene.server.stop() == 0)

            let tickets = scene.venue.tickets
            let run = try await KioskBrowserTests().browser(
                "failover",
                ["--valid", tickets[0].payload, "--second", tickets[1].payload,
                 "--kill-pids", "\(doors[0].pid),\(doors[1].pid)", "--peer-urls", "\(url(1)),\(url(2))"],
                url: url(0) + "/kiosk/", screenshots: try artifactDirectory("failover"))
            #expect(run.status == 0 && run.stdout.contains("all kiosk failover checks passed"), "\(run.stdout)\n\(run.stderr)")
            print(run.stdout.split(separator: "\n").filter { $0.contains("scanning again") }.joined(separator: "\n"))
            #expect(try await doors[2].stop() == 0)
            for door in doors.prefix(2) { _ = try? await door.stop(signal: SIGKILL) }
        }
    }

    @Test("A staff pass: issued at sign-in by a node, taken by a certified peer and by the node itself instead of the PIN; forged, expired or a stranger's passes are refused")
    func staffPass() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-mesh-pass")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 1, seats: 1)
            let dataB = try await scene.enrollDoor("Door B", in: directory).data
            try await VenueNodeTests.sync(dataB)
            try await VenueNodeTests.sync(scene.data)
            let (a, _) = try await scene.runNode()
            let portB = try freePort()
            let b = try await ServerProcess.launch(["node", "run", "--data", dataB, "--port", String(portB)], port: portB)
            let signIn = try await a.api.post("/api/v1/session", ["pin": VenueNodeTests.staffPIN])
            let pass = try #require(signIn.json["staff_pass"].string)
            for door in [b, a] {
                let opened = try await door.api.post("/api/v1/session/pass", ["pass": pass])
                #expect(opened.status == 201, "\(opened.text)")
                let token = try #require(opened.json["token"].string)
                #expect(try await door.api.authorized(token).get("/api/v1/catalogue").status == 200, "the session works")
            }
            // Refused: changed, a stranger's key, too long a life, garbage.
            let parts = pass.split(separator: ".").map(String.init)
            let stranger = try StaffPass.issue(node: UUID(), issuedAt: Int64(Date().timeIntervalSince1970), key: .init())
            let claimsData = try #require(Data(base64URLText: Substring(parts[0])))
            var claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
            claims["expires_at"] = (claims["expires_at"] as? Int ?? 0) + 3600
            let stretched = Data(try JSONSerialization.data(withJSONObject: claims)).base64URLText + "." + parts[1]
            for (bad, why) in [(stranger.text, "does not believe"), (stretched, "signature"), (parts[0], "cannot be read"),
                               (String(repeating: "A", count: 2000), "cannot be read")] {
                let refused = try await b.api.post("/api/v1/session/pass", ["pass": bad])
                #expect(refused.status == 401 && refused.errorCode == "sign_in_required" && refused.text.contains(why), "\(refused.text)")
            }
            for door in [a, b] { #expect(try await door.stop() == 0) }
        }
    }
}
