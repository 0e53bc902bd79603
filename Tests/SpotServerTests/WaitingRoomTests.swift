import Foundation
import SpotServer
import SpotTestSupport
import Testing

@Suite("Waiting rooms")
struct WaitingRoomTests {
    func setRoom(
        _ server: TestServer, event: String, token: String, opensAt: Date = Date().addingTimeInterval(-1), perMinute: Int,
        passMinutes: Int = 5
    ) async throws -> APIResponse {
        try await server.api.send(
            .PUT, "/api/v1/events/\(event)/waiting-room",
            json: ["opens_at": opensAt.formatted(.iso8601), "admit_per_minute": perMinute, "pass_minutes": passMinutes],
            token: token)
    }

    func join(_ server: TestServer, event: String, token: String, device: String) async throws -> APIResponse {
        try await server.api.post("/api/v1/events/\(event)/waiting-room/entries", ["device_id": device], token: token)
    }

    func holdWithPass(_ server: TestServer, token: String, event: String, ticketType: String, pass: String) async throws -> APIResponse {
        let items: [[String: any Sendable]] = [["ticket_type_id": ticketType, "quantity": 1]]
        return try await server.api.post(
            "/api/v1/bookings", ["event_id": event, "items": items], token: token, headers: [("Waiting-Room-Pass", pass)])
    }

    /// Polls the buyer's place until it is admitted (bounded), and returns it.
    func admitted(_ server: TestServer, event: String, token: String) async throws -> JSON {
        for _ in 0..<100 {
            let place = try await server.api.get("/api/v1/events/\(event)/waiting-room/entries/me", token: token)
            if place.json["status"].string == "admitted" { return place.json }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the buyer was not let in within 10 s")
    }

    @Test("A sale behind a waiting room: holds need the pass; buyers join, wait their turn, are let in and book; bad passes are refused")
    func passGatesHolds() async throws {
        try await TestServer.run(configure: { $0.waitingRoomInterval = .milliseconds(100) }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 10)
            let (ann, _, _) = try await server.register("ann@example.com")
            let (bob, _, _) = try await server.register("bob@example.com")

            // Only the organizer sets the room; its numbers are range-checked.
            #expect(try await setRoom(server, event: sale.event, token: ann, perMinute: 60).status == 403)
            let zero = try await setRoom(server, event: sale.event, token: sale.token, perMinute: 0)
            #expect(zero.status == 422)
            #expect(zero.json["error"]["fields"]["admit_per_minute"].string != nil, "\(zero.text)")
            #expect(try await setRoom(server, event: sale.event, token: sale.token, perMinute: 60, passMinutes: 241).status == 422)
            let later = try await setRoom(server, event: sale.event, token: sale.token, opensAt: Date().addingTimeInterval(3600), perMinute: 60)
            #expect(later.status == 200, "\(later.text)")
            let early = try await join(server, event: sale.event, token: ann, device: "ann-phone-1")
            #expect(early.status == 409)
            #expect(early.errorCode == "waiting_room_not_open")

            // Open, one buyer a minute: Ann first, then Bob; Bob waits behind her.
            #expect(try await setRoom(server, event: sale.event, token: sale.token, perMinute: 1).status == 200)
            #expect(try await server.hold(token: ann, event: sale.event, ticketType: sale.ticketType).errorCode == "waiting_room_pass_required")
            let annPlace = try await join(server, event: sale.event, token: ann, device: "ann-phone-1")
            #expect(annPlace.status == 200, "\(annPlace.text)")
            #expect(annPlace.json["status"].string == "waiting")
            #expect(annPlace.json["position"].int == 1)
            #expect(annPlace.json["pass"].string == nil)
            let stolen = try await join(server, event: sale.event, token: bob, device: "ann-phone-1")
            #expect(stolen.errorCode == "waiting_room_device_taken")
            #expect(try await join(server, event: sale.event, token: bob, device: "bob-phone-1").json["position"].int == 2)
            let again = try await join(server, event: sale.event, token: ann, device: "ann-phone-1")
            #expect(again.json["joined_at"].string == annPlace.json["joined_at"].string, "joining twice keeps the place")

            // Faster: Ann is let in, then Bob; each books with their own pass only.
            #expect(try await setRoom(server, event: sale.event, token: sale.token, perMinute: 600).status == 200)
            let annIn = try await admitted(server, event: sale.event, token: ann)
            let annPass = try #require(annIn["pass"].string)
            #expect(annIn["pass_expires_at"].string != nil)
            let bobIn = try await admitted(server, event: sale.event, token: bob)
            let bobPass = try #require(bobIn["pass"].string)
            #expect(try await holdWithPass(server, token: bob, event: sale.event, ticketType: sale.ticketType, pass: annPass).status == 403)
            let parts = annPass.split(separator: ".", maxSplits: 1)
            let longer = "\(Int(parts[0])! + 3600).\(parts[1])"
            #expect(try await holdWithPass(server, token: ann, event: sale.event, ticketType: sale.ticketType, pass: longer).status == 403)
            #expect(try await holdWithPass(server, token: ann, event: sale.event, ticketType: sale.ticketType, pass: "x").status == 403)
            #expect(try await holdWithPass(server, token: ann, event: sale.event, ticketType: sale.ticketType, pass: annPass).status == 201)
            #expect(try await holdWithPass(server, token: bob, event: sale.event, ticketType: sale.ticketType, pass: bobPass).status == 201)

            let room = try await server.api.get("/api/v1/events/\(sale.event)/waiting-room", token: sale.token)
            #expect(room.json["admitted"].int == 2)
            #expect(room.json["waiting"].int == 0)
            #expect(try await server.api.get("/api/v1/events/\(sale.event)/waiting-room", token: ann).status == 403)

            // Without the room, the sale is open to all again.
            #expect(try await server.api.delete("/api/v1/events/\(sale.event)/waiting-room", token: sale.token).status == 204)
            #expect(try await server.hold(token: ann, event: sale.event, ticketType: sale.ticketType).status == 201)
        }
    }

    @Test("1,000 buyers join at once: each is let in once, in arrival order, at the room's rate within 10 %")
    func thousandBuyers() async throws {
        try await TestServer.run(configure: {
            $0.waitingRoomInterval = .milliseconds(500)
            $0.maximumConnections = 16
            $0.authRateLimit = RateLimitPolicy(attempts: 100_000, window: 60)
        }) { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 10)
            let buyers = 1000
            let tokens = try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<20 {
                    group.addTask {
                        var mine: [String] = []
                        for index in stride(from: lane, to: buyers, by: 20) {
                            mine.append(try await server.register("queue\(index)@example.com").token)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            // The line forms at one a minute, all at once; then the organizer opens it up to 6,000 a
            // minute: 100 a second, 50 a round.
            #expect(try await setRoom(server, event: sale.event, token: sale.token, perMinute: 1).status == 200)
            // All at once, as far as one client's connections allow: 100 at a time, back to back.
            let joins = try await withThrowingTaskGroup(of: [(Int, String?, Int?)].self) { group in
                for lane in 0..<100 {
                    group.addTask {
                        var mine: [(Int, String?, Int?)] = []
                        for index in stride(from: lane, to: tokens.count, by: 100) {
                            let joined = try await join(server, event: sale.event, token: tokens[index], device: "device-\(index)-of-the-rush")
                            mine.append((joined.status, joined.json["status"].string, joined.json["position"].int))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [(Int, String?, Int?)]()) { $0 += $1 }
            }
            #expect(joins.allSatisfy { $0.0 == 200 }, "\(joins.filter { $0.0 != 200 }.prefix(3))")
            #expect(joins.allSatisfy { $0.1 == "admitted" || ($0.1 == "waiting" && ($0.2 ?? 0) >= 1) })
            #expect(Set(joins.compactMap(\.2)).count == joins.compactMap(\.2).count, "no two buyers were given one place")
            #expect(try await setRoom(server, event: sale.event, token: sale.token, perMinute: 6000).status == 200)

            var admittedCount = 0
            for _ in 0..<60 where admittedCount < buyers {
                try await Task.sleep(for: .milliseconds(500))
                admittedCount = try await server.count("SELECT count(*)::int FROM waiting_room_entries WHERE admitted_at IS NOT NULL")
            }
            #expect(admittedCount == buyers)
            #expect(try await server.count("SELECT count(DISTINCT user_id)::int FROM waiting_room_entries") == buyers)
            // First come, first served: nobody who arrived later was let in earlier.
            #expect(try await server.count(
                """
                SELECT count(*)::int FROM waiting_room_entries a JOIN waiting_room_entries b
                ON a.event_id = b.event_id AND a.arrival < b.arrival AND a.admitted_at > b.admitted_at
                """) == 0)
            // The rate, from the rounds' own times: what rounds 2 … n−1 let in over the time they
            // cover (round 1 makes up for the joins; the last may find the line short).
            let rounds = try await server.text(
                """
                SELECT string_agg(extract(epoch FROM admitted_at)::text || ':' || n::text, ',' ORDER BY admitted_at)
                FROM (SELECT admitted_at, count(*) AS n FROM waiting_room_entries GROUP BY admitted_at) r
                """
            ).split(separator: ",").map { pair in
                let parts = pair.split(separator: ":")
                return (time: Double(parts[0])!, count: Int(parts[1])!)
            }
            #expect(rounds.count >= 5, "\(rounds)")
            if rounds.count >= 5 {
                let middle = rounds.dropFirst().dropLast()
                let span = middle.last!.time - rounds.first!.time
                let rate = Double(middle.map(\.count).reduce(0, +)) / span
                #expect(abs(rate - 100) <= 10, "\(rate) a second over \(span) s: \(rounds)")
            }
            // Let in once: joining again keeps the admission, and the pass books.
            let first = try #require(tokens.first)
            let again = try await join(server, event: sale.event, token: first, device: "device-0-of-the-rush")
            #expect(again.json["status"].string == "admitted")
            #expect(try await server.count("SELECT count(*)::int FROM waiting_room_entries") == buyers)
            let pass = try #require(again.json["pass"].string)
            #expect(try await holdWithPass(server, token: first, event: sale.event, ticketType: sale.ticketType, pass: pass).status == 201)
        }
    }
}
