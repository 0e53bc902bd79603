import Foundation
import Logging
import PostgresNIO
import SpotServer
import SpotTestSupport
import Testing

/// The real `spot server` binary, as operators run it.
@Suite("spot server end to end", .serialized)
struct ServerProcessTests {
    static func url(_ configuration: DatabaseConfiguration) -> String {
        guard case .unixSocket(let path) = configuration.endpoint else { return "" }
        let directory = (path as NSString).deletingLastPathComponent
        return "postgres://\(configuration.username)@/\(configuration.database)?host=\(directory)"
    }

    @Test("Two replicas on one database share rate limits and token revocation (within a second on the other replica)")
    func twoReplicas() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let url = Self.url(database)
            let common = ["--database-url", url, "--password-cost", "4"]
            let a = try await ServerProcess.start(common)
            let b = try await ServerProcess.start(common)
            // An account, created through A; signed in through B.
            let registered = try await a.api.post(
                "/api/v1/auth/register", ["email": "ann@example.com", "password": "correct horse battery", "display_name": "Ann"])
            #expect(registered.status == 201)
            let login = try await b.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "correct horse battery"])
            let token = try #require(login.json["access_token"].string)
            #expect(try await a.api.get("/api/v1/auth/me", token: token).status == 200)
            #expect(try await b.api.get("/api/v1/auth/me", token: token).status == 200)

            // Sign out through A: the token dies on A at once, and on B (which keeps the session)
            // as soon as PostgreSQL's notification reaches it.
            #expect(try await a.api.post("/api/v1/auth/logout", token: token).status == 204)
            #expect(try await a.api.get("/api/v1/auth/me", token: token).status == 401)
            let loggedOut = ContinuousClock.now
            var afterLogout = try await b.api.get("/api/v1/auth/me", token: token)
            while afterLogout.status == 200, ContinuousClock.now - loggedOut < .seconds(1) {
                try await Task.sleep(for: .milliseconds(10))
                afterLogout = try await b.api.get("/api/v1/auth/me", token: token)
            }
            #expect(afterLogout.status == 401)
            #expect(afterLogout.errorCode == "token_revoked")

            // 1 attempt counted so far from this address (the registration; a correct sign-in is not counted);
            // 4 wrong passwords split across replicas reach the limit.
            for server in [a, b, a, b] {
                let attempt = try await server.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "wrong password!"])
                #expect(attempt.status == 401)
            }
            for server in [b, a] {
                let limited = try await server.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "correct horse battery"])
                #expect(limited.status == 429, "\(limited.text)")
                #expect(limited.headers.first(name: "Retry-After") != nil)
            }
            #expect(try await a.stop() == 0)
            #expect(try await b.stop() == 0)
        }
    }

    @Test("Two doors checking one ticket in at the same instant through two replicas admit it once, ticket after ticket")
    func checkInAcrossReplicas() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let url = Self.url(database)
            let a = try await ServerProcess.start(["--database-url", url, "--password-cost", "4"])
            let b = try await ServerProcess.start(["--database-url", url, "--password-cost", "4"])
            let venue = try await VenueNodeTests.venue(a.api, database: database, tickets: 10)
            for (index, ticket) in venue.tickets.enumerated() {
                let verdicts = try await withThrowingTaskGroup(of: String.self) { group in
                    for (server, gate) in [(a, "North"), (b, "South")] {
                        group.addTask {
                            let answer = try await server.api.post(
                                "/api/v1/check-ins", ["payload": ticket.payload, "gate": gate], token: venue.organizer)
                            return answer.json["verdict"].string ?? "HTTP \(answer.status): \(answer.text)"
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(verdicts.sorted() == ["already_admitted", "ok"], "ticket \(index): \(verdicts)")
            }
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { (client: PostgresClient) async throws -> Void in
                let rows = try await client.query(
                    "SELECT count(*)::int, count(DISTINCT ticket_id)::int FROM scans WHERE verdict = 'ok'", logger: Logger(label: "e2e"))
                for try await (admissions, tickets) in rows.decode((Int, Int).self) {
                    #expect(admissions == 10 && tickets == 10)
                }
            }
            #expect(try await a.stop() == 0)
            #expect(try await b.stop() == 0)
        }
    }

    @Test("An event's live dashboard on one replica moves within 2 s of a check-in through another, and a stream open at SIGTERM ends cleanly")
    func dashboardAcrossReplicas() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let url = Self.url(database)
            let a = try await ServerProcess.start(["--database-url", url, "--password-cost", "4"])
            let b = try await ServerProcess.start(["--database-url", url, "--password-cost", "4"])
            let venue = try await VenueNodeTests.venue(a.api, database: database, tickets: 2)
            let stream = try await EventStream.open(
                a.api.baseURL + "/api/v1/events/\(venue.event)/dashboard/stream",
                headers: [("Authorization", "Bearer \(venue.organizer)")])
            func admitted() async throws -> Int? {
                while let event = try await stream.next() {
                    if event.name == "dashboard" {
                        return JSON(try JSONSerialization.jsonObject(with: Data(event.data.utf8)))["admitted"].int
                    }
                }
                return nil
            }
            #expect(try await admitted() == 0)
            let started = ContinuousClock.now
            let answer = try await b.api.post(
                "/api/v1/check-ins", ["payload": venue.tickets[0].payload, "gate": "North"], token: venue.organizer)
            #expect(answer.json["verdict"].string == "ok", "\(answer.text)")
            #expect(try await admitted() == 1)
            let delay = ContinuousClock.now - started
            #expect(delay < .seconds(2), "a check-in through B reached A's stream in \(delay)")

            let stopping = ContinuousClock.now
            #expect(try await a.stop(timeout: .seconds(10)) == 0)
            #expect(ContinuousClock.now - stopping < .seconds(5), "the open stream held the shutdown back")
            #expect(try await admitted() == nil, "the stream ended with the server")
            #expect(try await b.stop() == 0)
        }
    }

    @Test("spot bench export streams each count of check-ins and reports the server's memory beside psql's COPY")
    func benchExport() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let result = try await runProcess(try spotBinary(), [
                "bench", "export", "--database-url", Self.url(database), "--rows", "300,50",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("| 50 |") || $0.hasPrefix("| 300 |") }
            #expect(rows.count == 2 && rows[0].hasPrefix("| 50 |"), "smallest first: \(result.stdout)")
            for row in rows {
                let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                let peak = try #require(Int(cells[2].replacingOccurrences(of: " MiB", with: "")), "\(row)")
                let seconds = try #require(Double(cells[4].replacingOccurrences(of: " s", with: "")), "\(row)")
                #expect(peak > 10 && seconds > 0, "\(row)")
                #expect(cells[6].hasSuffix(" s"), "\(row)")
            }
        }
    }

    @Test("A waiting room's line survives a kill -9 and is one line across replicas: places kept, let in in order, passes valid on every replica")
    func waitingRoomAcrossReplicas() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let common = ["--database-url", Self.url(database), "--password-cost", "4"]
            let a = try await ServerProcess.start(common)
            let (organizer, venue) = try await WebBrowserTests.organizer(a.api, database: database, email: "olga@example.com")
            let event = try await WebBrowserTests.publishedEvent(a.api, token: organizer, venue: venue, title: "Rush Night")
            let types = try await a.api.get("/api/v1/events/\(event)/ticket-types").json["items"]
            let ticketType = try #require(types[0]["id"].string)
            func setRate(_ server: ServerProcess, _ perMinute: Int) async throws {
                let room = try await server.api.send(
                    .PUT, "/api/v1/events/\(event)/waiting-room",
                    json: ["opens_at": Date().addingTimeInterval(-60).formatted(.iso8601), "admit_per_minute": perMinute,
                           "pass_minutes": 10], token: organizer)
                #expect(room.status == 200, "\(room.text)")
            }
            try await setRate(a, 1)
            var buyers: [String] = []
            for index in 0..<4 {
                let registered = try await a.api.post(
                    "/api/v1/auth/register",
                    ["email": "buyer\(index)@example.com", "password": "correct horse battery", "display_name": "Buyer \(index)"])
                buyers.append(try #require(registered.json["access_token"].string))
            }
            func join(_ server: ServerProcess, _ buyer: Int) async throws -> JSON {
                try await server.api.post(
                    "/api/v1/events/\(event)/waiting-room/entries", ["device_id": "phone-of-buyer-\(buyer)"], token: buyers[buyer]).json
            }
            var joined: [String] = []
            for buyer in 0..<3 {
                let place = try await join(a, buyer)
                #expect(place["position"].int == buyer + 1, "\(place)")
                joined.append(try #require(place["joined_at"].string))
            }

            // A dies mid-line; B, another replica, knows every place, and the line goes on.
            #expect(try await a.stop(signal: SIGKILL) == 128 + SIGKILL)
            let b = try await ServerProcess.start(common)
            for buyer in 0..<3 {
                let place = try await b.api.get("/api/v1/events/\(event)/waiting-room/entries/me", token: buyers[buyer]).json
                #expect(place["status"].string == "waiting" && place["position"].int == buyer + 1, "\(place)")
                #expect(place["joined_at"].string == joined[buyer])
            }
            #expect(try await join(b, 3)["position"].int == 4)
            let c = try await ServerProcess.start(common)
            try await setRate(c, 600)
            var passes: [String] = []
            for buyer in 0..<4 {
                var place = JSON(NSNull())
                for _ in 0..<100 where place["status"].string != "admitted" {
                    try await Task.sleep(for: .milliseconds(100))
                    place = try await [b, c][buyer % 2].api.get(
                        "/api/v1/events/\(event)/waiting-room/entries/me", token: buyers[buyer]).json
                }
                passes.append(try #require(place["pass"].string, "\(place)"))
            }
            // Let in once each, in arrival order, by whichever replica's round came first.
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    """
                    SELECT count(*)::int, count(DISTINCT user_id)::int,
                           bool_and(admitted_at IS NOT NULL),
                           (SELECT count(*)::int FROM waiting_room_entries x JOIN waiting_room_entries y
                            ON x.arrival < y.arrival AND x.admitted_at > y.admitted_at)
                    FROM waiting_room_entries
                    """, logger: Logger(label: "e2e"))
                for try await (entries, users, allIn, outOfOrder) in rows.decode((Int, Int, Bool, Int).self) {
                    #expect(entries == 4 && users == 4 && allIn && outOfOrder == 0)
                }
            }
            // A pass from one replica books through another; without it, no replica holds seats.
            let items: [[String: any Sendable]] = [["ticket_type_id": ticketType, "quantity": 1]]
            let without = try await c.api.post("/api/v1/bookings", ["event_id": event, "items": items], token: buyers[0])
            #expect(without.errorCode == "waiting_room_pass_required")
            for buyer in 0..<4 {
                let held = try await [c, b][buyer % 2].api.post(
                    "/api/v1/bookings", ["event_id": event, "items": items], token: buyers[buyer],
                    headers: [("Waiting-Room-Pass", passes[buyer])])
                #expect(held.status == 201, "\(held.text)")
            }
            #expect(try await b.stop() == 0)
            #expect(try await c.stop() == 0)
        }
    }

    @Test("spot bench commerce checks tickets in and sells a ticket type out through a server of its own, each read against pgbench")
    func benchCommerce() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let result = try await runProcess(try spotBinary(), [
                "bench", "commerce", "--database-url", Self.url(database), "--check-ins", "200", "--clients", "4",
                "--buyers", "6", "--seats", "60", "--pgbench-transactions", "400", "--pgbench-scale", "1",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let rows = [("| online check-in", "(200, all admitted) | 4 |"), ("| purchase", "(60 seats sold out: 0 oversold, 0 false sold-out) | 6 |")]
            for (path, detail) in rows {
                let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix(path) }, "\(result.stdout)")
                #expect(row.contains(detail), "\(row)")
                let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                let rate = try #require(Double(cells[2]), "\(row)")
                let tps = try #require(Double(cells[6].replacingOccurrences(of: " tps", with: "")), "\(row)")
                let share = try #require(Double(cells[7].replacingOccurrences(of: " %", with: "")), "\(row)")
                #expect(rate > 0 && tps > 0)
                // The printed rate is rounded to a whole number; the share was computed before rounding.
                #expect(abs(rate / tps * 100 - share) <= share * 0.02 + 0.1, "\(row)")
            }
            // The run sold exactly the seats it created: the database agrees with the table.
            try await TestDatabase.withClient(database, logger: Logger(label: "e2e")) { client in
                let rows = try await client.query(
                    """
                    SELECT t.capacity, count(k.id)::int FROM ticket_types t LEFT JOIN tickets k ON k.ticket_type_id = t.id
                    WHERE t.name LIKE 'On-sale rush %' GROUP BY t.id
                    """, logger: Logger(label: "e2e"))
                var types = 0
                for try await (capacity, issued) in rows.decode((Int, Int).self) {
                    types += 1
                    #expect(capacity == 60 && issued == 60)
                }
                #expect(types == 1)
            }
        }
    }

    @Test("Embedded PostgreSQL: first start creates the cluster, SIGTERM stops both cleanly, data survives a restart and a kill -9")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("spot-embedded")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path

        let first = try await ServerProcess.start(["--data-dir", data, "--password-cost", "4"])
        #expect(FileManager.default.fileExists(atPath: data + "/postgres/PG_VERSION"))
        let registered = try await first.api.post(
            "/api/v1/auth/register", ["email": "ann@example.com", "password": "correct horse battery", "display_name": "Ann"])
        #expect(registered.status == 201)
        #expect(try await first.stop(signal: SIGTERM) == 0)
        #expect(first.log.contains("embedded PostgreSQL stopped"))
        #expect(!FileManager.default.fileExists(atPath: data + "/postgres/postmaster.pid"), "the cluster was stopped")

        // Restart: the account is still there.
        let second = try await ServerProcess.start(["--data-dir", data, "--password-cost", "4"])
        let login = try await second.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "correct horse battery"])
        #expect(login.status == 200)
        // A second server on the same data directory is refused while the first runs.
        let rival = try await runProcess(try spotBinary(), ["server", "--data-dir", data, "--port", String(try freePort())])
        #expect(rival.status != 0)
        #expect(rival.stderr.contains("is using the data directory"))
        // kill -9: the cluster keeps running; the next start adopts it and nothing is lost.
        try await second.stop(signal: SIGKILL)
        let third = try await ServerProcess.start(["--data-dir", data, "--password-cost", "4"])
        #expect(third.log.contains("adopting it"))
        let again = try await third.api.post("/api/v1/auth/login", ["email": "ann@example.com", "password": "correct horse battery"])
        #expect(again.status == 200)
        #expect(try await third.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: data + "/postgres/postmaster.pid"))
    }

    @Test("create-admin, seed with progress, migrate — against a database URL")
    func maintenance() async throws {
        try await TestDatabase.shared.withDatabase(migrated: false) { database in
            let url = Self.url(database)
            let migrate = try await runProcess(try spotBinary(), ["server", "migrate", "--database-url", url])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            #expect(migrate.stdout.contains("database is at migration \(Migrator().latestVersion)"))

            let admin = try await runProcess(
                try spotBinary(), ["server", "create-admin", "--database-url", url, "--email", "root@example.com", "--name", "Root"],
                stdin: "a long admin password\n")
            #expect(admin.status == 0, "\(admin.stderr)")
            #expect(admin.stdout.contains("created admin root@example.com"))
            let again = try await runProcess(
                try spotBinary(), ["server", "create-admin", "--database-url", url, "--email", "ROOT@example.com"],
                stdin: "a long admin password\n")
            #expect(again.status != 0)
            #expect(again.stderr.contains("already exists"))
            let weak = try await runProcess(
                try spotBinary(), ["server", "create-admin", "--database-url", url, "--email", "x@example.com"], stdin: "short\n")
            #expect(weak.status != 0)
            #expect(weak.stderr.contains("password must be at least 10 characters"))

            let seed = try await runProcess(try spotBinary(), ["server", "seed", "--database-url", url, "--events", "2500"])
            #expect(seed.status == 0, "\(seed.stderr)")
            #expect(seed.stdout.contains("seeded 2500 events"))
            #expect(seed.stderr.contains("2500/2500 events"), "progress is reported")

            let rotateNone = try await runProcess(try spotBinary(), ["server", "keys", "rotate", "--all", "--database-url", url])
            #expect(rotateNone.status == 0)
            #expect(rotateNone.stdout.contains("no organizer has a signing key yet"))
            let rotateBoth = try await runProcess(try spotBinary(), ["server", "keys", "rotate", "--database-url", url])
            #expect(rotateBoth.status == 2)
            let rotateUnknown = try await runProcess(
                try spotBinary(), ["server", "keys", "rotate", "--organizer", UUID().uuidString, "--database-url", url])
            #expect(rotateUnknown.status == 1)
            #expect(rotateUnknown.stderr.contains("no organizer"))

            let server = try await ServerProcess.start(["--database-url", url])
            let search = try await server.api.get("/api/v1/events?q=jazz&per_page=5")
            #expect(search.status == 200)
            #expect((search.json["total"].int ?? 0) > 0)
            let login = try await server.api.post("/api/v1/auth/login", ["email": "root@example.com", "password": "a long admin password"])
            #expect(login.json["user"]["role"].string == "admin")
            #expect(try await server.stop() == 0)
        }
    }

    @Test("Bad configuration is a clear error, never a crash")
    func badConfiguration() async throws {
        let badURL = try await runProcess(try spotBinary(), ["server", "--database-url", "mysql://x@y/z"])
        #expect(badURL.status == 2)
        #expect(badURL.stderr.contains("postgres://"))
        let badPort = try await runProcess(try spotBinary(), ["server", "--port", "70000"])
        #expect(badPort.status == 2)
        let badLevel = try await runProcess(try spotBinary(), ["server", "--log-level", "loud"])
        #expect(badLevel.status == 2)
        for (arguments, message) in [
            (["--smtp-url", "http://mail.example", "--mail-from", "t@example.com"], "smtp://"),
            (["--smtp-url", "smtp://mail.example"], "--mail-from"),
            (["--smtp-url", "smtp://mail.example", "--mail-from", "nobody"], "--mail-from must be an address"),
            (["--smtp-url", "smtp://mail.example", "--mail-from", "t@example.com", "--smtp-ca-file", "/nonexistent.pem"], "cannot be read"),
            (["--smtp-ca-file", "/etc/hostname"], "need --smtp-url"),
        ] {
            let bad = try await runProcess(try spotBinary(), ["server"] + arguments)
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(arguments): \(bad.stderr)")
        }
    }

    @Test("spot server --smtp-url sends a booking confirmation through a real SMTP relay (STARTTLS, AUTH), password never logged")
    func emailThroughTheBinary() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let smtp = try await SMTPTestServer.start(tls: true, user: "mailer", password: "relay secret 42")
            defer { smtp.stop() }
            let server = try await ServerProcess.start(
                ["--database-url", Self.url(database), "--password-cost", "4", "--mail-from", "Tickets <tickets@example.com>",
                 "--smtp-ca-file", try #require(smtp.certificatePath)],
                environment: ["SMTP_URL": "smtp://mailer:relay%20secret%2042@localhost:\(smtp.port)"])
            let venue = try await VenueNodeTests.venue(server.api, database: database, tickets: 1)
            let buyer = try #require(try await server.api.post(
                "/api/v1/auth/register", ["email": "fan@example.com", "password": "correct horse battery", "display_name": "Fan"]
            ).json["access_token"].string)
            let held = try await server.api.post(
                "/api/v1/bookings",
                ["event_id": venue.event, "items": [["ticket_type_id": venue.ticketType, "quantity": 1] as [String: any Sendable]]],
                token: buyer)
            let paid = try await server.api.post(
                "/api/v1/bookings/\(try #require(held.json["id"].string))/checkout",
                ["card": ["number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"]], token: buyer,
                headers: [("Idempotency-Key", "email-binary")])
            #expect(paid.status == 200, "\(paid.text)")
            func toFan() throws -> (message: URL, facts: JSON)? {
                try smtp.messages().first { $0.facts["rcpt_tos"].array.compactMap(\.string) == ["fan@example.com"] }
            }
            for _ in 0..<150 where try toFan() == nil { try await Task.sleep(for: .milliseconds(100)) }
            let message = try #require(try toFan(), "no email arrived:\n\(server.log.suffix(2000))")
            #expect(message.facts["encrypted"].bool == true && message.facts["authenticated"].bool == true)
            let text = try String(contentsOf: message.message, encoding: .utf8)
            #expect(text.contains("From: Tickets <tickets@example.com>") && text.contains("Content-Type: multipart/mixed"))
            #expect(server.log.contains("smtp://mailer:***@localhost:\(smtp.port)"), "the relay is logged without its password")
            #expect(!server.log.contains("relay secret"), "the password is never logged")
            #expect(try await server.stop() == 0)
        }
    }
}
