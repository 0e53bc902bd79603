import Foundation
import SpotTestSupport
import Testing

/// What door staff see of the link, with real `spot` processes: a quiet venue stays online
/// through held pulls, a refund arrives at once, a hung server (SIGSTOP: connections are
/// still accepted, nothing answers) shows offline within 5 s, no staff action waits longer
/// than 5 s for it, and a clean stop is not reported as a failure.
@Suite("Liveness door staff can trust", .serialized)
struct LivenessTests {
    static func status(_ node: ServerProcess) async throws -> JSON { try await node.api.get("/api/v1/status").json }

    static func cliStatus(_ directory: String) async throws -> JSON {
        let result = try await runProcess(try spotBinary(), ["node", "status", "--data", directory, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return JSON(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))
    }

    /// Polls every 50 ms until `condition` holds; returns how long that took, or nil after `limit`.
    static func time(within limit: Duration, _ condition: () async throws -> Bool) async rethrows -> Duration? {
        let clock = ContinuousClock()
        let started = clock.now
        while clock.now - started < limit {
            if try await condition() { return clock.now - started }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test("Quiet venue online; a refund at once; a hung server offline within 5 s; top-up bounded; back; a clean stop is no failure")
    func hungServer() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-liveness")
            defer { try? FileManager.default.removeItem(at: directory) }
            let scene = try await DoorScene.make(database: database, directory: directory, tickets: 2)
            let (server, venue, data) = (scene.server, scene.venue, scene.data)
            var (node, nodePort) = try await scene.runNode()
            let staff = try await VenueNodeTests.staff(node)

            // A quiet venue: held pulls and their heartbeats keep the node online, longer than the silence limit.
            #expect(try await Self.time(within: .seconds(10)) { try await Self.status(node)["online"].bool == true } != nil)
            let quiet = ContinuousClock.now
            while ContinuousClock.now - quiet < .seconds(8) {
                let status = try await Self.status(node)
                #expect(status["online"].bool == true, "\(status)")
                #expect(status["protocol_version"].int == 2)
                try await Task.sleep(for: .milliseconds(250))
            }

            // A refund reaches the door without waiting for a poll.
            let refund = try await server.api.post(
                "/api/v1/bookings/\(venue.tickets[0].booking)/refunds", ["ticket_ids": [venue.tickets[0].id]],
                token: venue.organizer, headers: [("Idempotency-Key", "refund-live")])
            #expect(refund.status == 200, "\(refund.text)")
            let revoked = try await Self.time(within: .seconds(5)) {
                let scan = try await staff.post("/api/v1/scans", ["payload": venue.tickets[0].payload, "gate": "A"])
                return scan.json["verdict"].string == "revoked"
            }
            #expect(revoked != nil && revoked! < .seconds(2), "the refund took \(String(describing: revoked)) to reach the door")

            // The server hangs.
            server.freeze()
            let offline = try await Self.time(within: .seconds(15)) { try await Self.status(node)["online"].bool == false }
            #expect(offline != nil && offline! <= .seconds(5), "offline after \(String(describing: offline))\n\(node.log)")
            let cli = try await Self.cliStatus(data)
            #expect(cli["online"].bool == false)
            #expect(cli["last_error"].string?.contains("silent") == true, "\(cli)")
            // Staff actions that need the server answer within 5 s; the others at once.
            let clock = ContinuousClock()
            var started = clock.now
            let topUp = try await staff.post("/api/v1/allotments/top-up", ["ticket_type_id": venue.ticketType, "quantity": 1])
            let topUpWait = clock.now - started
            #expect(topUpWait <= .seconds(5), "top-up waited \(topUpWait)")
            print("liveness: refund reached the door after \(revoked.map(String.init(describing:)) ?? "-"), "
                + "hung server offline after \(offline.map(String.init(describing:)) ?? "-"), top-up answered after \(topUpWait)")
            #expect(topUp.status == 503 && topUp.errorCode == "server_unreachable", "\(topUp.text)")
            started = clock.now
            #expect(try await staff.post("/api/v1/sync").status == 202)
            let release = try await staff.post("/api/v1/allotments/release", ["ticket_type_id": venue.ticketType, "quantity": 1])
            #expect(release.status == 200, "\(release.text)")
            #expect(clock.now - started < .seconds(1))
            // Scans stay fast.
            started = clock.now
            let scan = try await staff.post("/api/v1/scans", ["payload": venue.tickets[1].payload, "gate": "A"])
            #expect(scan.json["verdict"].string == "ok")
            #expect(clock.now - started < .seconds(1))

            // It comes back: the node is online again and its outbox drains.
            server.thaw()
            let back = try await Self.time(within: .seconds(30)) {
                let status = try await Self.status(node)
                return status["online"].bool == true && status["outbox_depth"].int == 0
            }
            let afterThaw = try await Self.status(node)
            #expect(back != nil, "\(afterThaw)\n\(node.log)")

            // A clean stop in the middle of a held pull is no failure of the server's.
            try await Task.sleep(for: .seconds(1))
            #expect(try await node.stop() == 0)
            let stopped = try await Self.cliStatus(data)
            #expect(stopped["online"].bool == true, "\(stopped)")
            #expect(stopped["last_error"].string == nil, "\(stopped)")
            node = try await ServerProcess.launch(["node", "run", "--data", data, "--port", String(nodePort)], port: nodePort)
            #expect(try await Self.time(within: .seconds(10)) { try await Self.status(node)["online"].bool == true } != nil)
            for process in [node, server] { #expect(try await process.stop() == 0) }
        }
    }

    @Test("A v2 node refuses a server that serves only v1 with a clear message, and syncs with --sync-protocol 1")
    func versionMismatch() async throws {
        try await TestDatabase.shared.withDatabase { database in
            let directory = try makeTemporaryDirectory("spot-versions")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freePort()
            let arguments = ["server", "--port", String(port), "--database-url", ServerProcessTests.url(database), "--password-cost", "4"]
            var server = try await ServerProcess.launch(arguments + ["--sync-protocols", "1"], port: port)
            let venue = try await VenueNodeTests.venue(server.api, database: database, tickets: 1)
            let data = directory.appendingPathComponent("node").path
            let code = try await server.api.post(
                "/api/v1/venues/\(venue.venue)/enrollment-codes", ["name": "Old door"], token: venue.organizer).json["code"].string!
            let serverURL = "http://127.0.0.1:\(port)"
            let refused = try await runProcess(
                try spotBinary(), ["node", "enroll", "--server", serverURL, "--code", code, "--data", data, "--pin", "2468"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("upgrade the server") && refused.stderr.contains("--sync-protocol 1"), "\(refused.stderr)")
            let enrolled = try await runProcess(
                try spotBinary(),
                ["node", "enroll", "--server", serverURL, "--code", code, "--data", data, "--pin", "2468", "--sync-protocol", "1"])
            #expect(enrolled.status == 0, "\(enrolled.stderr)")
            let v2 = try await runProcess(try spotBinary(), ["node", "sync", "--data", data])
            #expect(v2.status != 0)
            #expect(v2.stderr.contains("sync protocol v2 is newer than this server (it serves v1): upgrade the server"), "\(v2.stderr)")
            let status = try await LivenessTests.cliStatus(data)
            #expect(status["online"].bool == false)
            #expect(status["last_error"].string?.contains("unsupported_protocol_version") == true)
            let v1 = try await runProcess(try spotBinary(), ["node", "sync", "--data", data, "--sync-protocol", "1"])
            #expect(v1.status == 0, "\(v1.stderr)")
            #expect(try await LivenessTests.cliStatus(data)["tickets"].int == 1)
            let bad = try await runProcess(try spotBinary(), ["node", "sync", "--data", data, "--sync-protocol", "3"])
            #expect(bad.status != 0 && bad.stderr.contains("--sync-protocol 3"), "\(bad.stderr)")
            #expect(try await server.stop() == 0)
            let badServer = try await runProcess(try spotBinary(), arguments + ["--sync-protocols", "1,7"])
            #expect(badServer.status != 0 && badServer.stderr.contains("--sync-protocols"), "\(badServer.stderr)")
            // Served both again, the same node speaks v2.
            server = try await ServerProcess.launch(arguments, port: port)
            let upgraded = try await runProcess(try spotBinary(), ["node", "sync", "--data", data])
            #expect(upgraded.status == 0, "\(upgraded.stderr)")
            #expect(try await LivenessTests.cliStatus(data)["protocol_version"].int == 2)
            #expect(try await server.stop() == 0)
        }
    }
}
