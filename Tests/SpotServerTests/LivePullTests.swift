import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

/// Sync protocol v2's live pull on a real server: held pulls wake on the venue's changes
/// through PostgreSQL's notifications, send heartbeats while they wait, and idle pulls write
/// nothing.
@Suite("Live pull (sync v2) on the server")
struct LivePullTests {
    /// The node's row as PostgreSQL stores it: its tuple version changes on every write.
    static func nodeRowVersion(_ server: TestServer, _ node: TestNode) async throws -> String {
        try await server.text("SELECT xmin::text FROM nodes WHERE id = '\(node.info.id.lowercasedText)'")
    }

    @Test("An idle pull writes nothing: the node's row, certificates and credentials stay as they are")
    func idlePullWritesNothing() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let first = try await scene.node.pull(after: snapshot.cursor)
            let row = try await Self.nodeRowVersion(server, scene.node)
            let certificates = try await server.count("SELECT count(*) FROM device_certificates")
            let credentials = try await server.count("SELECT count(*) FROM node_credentials")
            for _ in 1...3 {
                let page = try await scene.node.pull(after: first.cursor)
                #expect(page.changes.isEmpty)
                #expect(page.allotments == first.allotments)
                #expect(page.trust == first.trust)
            }
            #expect(try await Self.nodeRowVersion(server, scene.node) == row, "an idle pull rewrote the node's row")
            #expect(try await server.count("SELECT count(*) FROM device_certificates") == certificates)
            #expect(try await server.count("SELECT count(*) FROM node_credentials") == credentials)
            // What the organizer sees changing is still recorded at once.
            var request = PullRequest(cursor: first.cursor, clock: scene.node.clock, outboxDepth: 7)
            request.protocolVersion = SyncProtocolVersion.current.rawValue
            #expect(try await server.sync("pull", request, token: scene.node.token).status == 200)
            #expect(try await Self.nodeRowVersion(server, scene.node) != row)
            #expect(try await server.count(
                "SELECT outbox_depth FROM nodes WHERE id = '\(scene.node.info.id.lowercasedText)'") == 7)
        }
    }

    @Test("Contacts of pulls held from memory are written later in one statement, each row only when stale or changed")
    func contactsWrittenInBatches() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            _ = try await scene.node.snapshot()
            let node = scene.node.info.id
            let seen = Date().addingTimeInterval(5)
            @Sendable func contact(at date: Date, depth: Int?) -> NodeContact {
                NodeContact(seenAt: date, offsetMilliseconds: 40, skewed: false, version: 2, outboxDepth: depth, pulled: true)
            }
            try await TestDatabase.withClient(server.database, logger: Logger(label: "t")) { client async throws -> Void in
                let database = Database(client: client, maximumConnections: 2, registry: .init())
                let contacts = NodeContacts()
                contacts.note(contact(at: seen.addingTimeInterval(-1), depth: 3), of: node)
                contacts.note(contact(at: seen, depth: 3), of: node)  // the newer contact replaces the older
                contacts.note(contact(at: seen, depth: 1), of: UUID())  // a node that does not exist: no row
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 1)
                #expect(try await server.count("SELECT outbox_depth FROM nodes WHERE id = '\(node.lowercasedText)'") == 3)
                #expect(try await server.count(
                    "SELECT (extract(epoch FROM last_seen_at) * 1000)::bigint FROM nodes WHERE id = '\(node.lowercasedText)'")
                    == Int((seen.timeIntervalSince1970 * 1000).rounded(.down)))
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 0, "nothing noted since")
                contacts.note(contact(at: seen.addingTimeInterval(30), depth: nil), of: node)
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 0, "fresh and unchanged")
                contacts.note(contact(at: seen.addingTimeInterval(30), depth: 4), of: node)
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 1, "the outbox depth changed")
                contacts.note(contact(at: seen.addingTimeInterval(89), depth: 4), of: node)
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 0, "59 s old")
                contacts.note(contact(at: seen.addingTimeInterval(91), depth: 4), of: node)
                #expect(try await contacts.flush(database: database, logger: Logger(label: "t")) == 1, "a minute old")
            }
        }
    }

    @Test("A held pull answers as soon as a ticket is re-issued, with the change")
    func wakesOnChange() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let ticket = scene.tickets[0].id
            let current = try await scene.node.pull(after: snapshot.cursor)
            let clock = ContinuousClock()
            let started = clock.now
            async let held = scene.node.pull(after: current.cursor, wait: 20, digest: current.stateDigest)
            try await Task.sleep(for: .milliseconds(500))
            let reissued = try await server.api.post("/api/v1/tickets/\(ticket.lowercasedText)/reissue", token: scene.buyer)
            #expect(reissued.status == 200, "\(reissued.text)")
            let committed = clock.now
            let page = try await held
            let answered = clock.now
            #expect(page.changes.contains { change in
                if case .ticket(let value) = change { return value.id == ticket && value.revokedVersion == 1 }
                return false
            })
            #expect(answered - committed < .seconds(1), "the change took \(answered - committed) to arrive")
            #expect(answered - started > .milliseconds(400), "the pull did not wait")
            // The next pull, from the new cursor, is held again: nothing delivered twice (served from memory or not).
            let next = clock.now
            let after = try await scene.node.pull(after: page.cursor, wait: 1, digest: page.stateDigest)
            #expect(after.changes.isEmpty && after.cursor == page.cursor)
            #expect(clock.now - next > .milliseconds(700), "the next pull was not held")
        }
    }

    @Test("A change committed behind an older transaction still running reaches a held pull when that transaction ends, though nothing signals it")
    func changeBehindAnOlderTransaction() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let ticket = scene.tickets[0].id
            let current = try await scene.node.pull(after: snapshot.cursor)
            let logger = Logger(label: "spot-test-blocker")
            try await TestDatabase.withClient(server.database, logger: logger) { client in
                let (begun, began) = AsyncStream<Void>.makeStream()
                let (release, releaser) = AsyncStream<Void>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Another transaction, older than the re-issue, holds a transaction id and runs on.
                    group.addTask {
                        try await client.withConnection { connection in
                            try await connection.query("BEGIN", logger: logger)
                            try await connection.query("SELECT pg_current_xact_id()", logger: logger)
                            began.finish()
                            for await _ in release {}
                            try await connection.query("COMMIT", logger: logger)
                        }
                    }
                    for await _ in begun {}
                    let reissued = try await server.api.post("/api/v1/tickets/\(ticket.lowercasedText)/reissue", token: scene.buyer)
                    #expect(reissued.status == 200, "\(reissued.text)")
                    // Committed and signalled, but not readable yet: the older transaction still runs.
                    let early = try await scene.node.pull(after: current.cursor, wait: 1, digest: current.stateDigest)
                    #expect(early.changes.isEmpty && early.cursor == current.cursor)
                    let clock = ContinuousClock()
                    async let held = scene.node.pull(after: current.cursor, wait: 20, digest: current.stateDigest)
                    // Longer than the visibility retries after a signal (1.55 s).
                    try await Task.sleep(for: .milliseconds(2_500))
                    releaser.finish()
                    try await group.waitForAll()
                    let committed = clock.now
                    let page = try await held
                    #expect(page.changes.contains { change in
                        if case .ticket(let value) = change { return value.id == ticket && value.revokedVersion == 1 }
                        return false
                    }, "the re-issue never reached the node: \(page.changes.count) changes")
                    #expect(clock.now - committed < .milliseconds(1_500), "the change took \(clock.now - committed) after the older transaction ended")
                }
            }
        }
    }

    @Test("A pull is held only while the node's state is current: a state that changed while no pull was held comes at once")
    func staleStateAnswersAtOnce() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let current = try await scene.node.pull(after: snapshot.cursor)
            #expect(current.stateDigest?.count == 32)
            // A held pull that ends idle: the server keeps what it read, for the next idle pull.
            let idle = try await scene.node.pull(after: current.cursor, wait: 1, digest: current.stateDigest)
            #expect(idle.changes.isEmpty && idle.stateDigest == current.stateDigest)
            let cachedAgain = try await scene.node.pull(after: current.cursor, wait: 1, digest: current.stateDigest)
            #expect(cachedAgain.trust == current.trust && cachedAgain.allotments == current.allotments)
            // The grant changes between two pulls: no held pull is there to be woken, and what was kept is stale.
            let granted = try await server.api.send(
                .PUT, "/api/v1/nodes/\(scene.node.info.id.lowercasedText)/allotments/\(scene.ticketType.lowercasedText)",
                json: ["granted": 3], token: scene.organizer)
            #expect(granted.status == 200, "\(granted.text)")
            let clock = ContinuousClock()
            let started = clock.now
            let page = try await scene.node.pull(after: current.cursor, wait: 20, digest: current.stateDigest)
            #expect(clock.now - started < .seconds(2), "a stale node waited \(clock.now - started)")
            #expect(page.allotments.map(\.granted) == [3])
            #expect(page.stateDigest != current.stateDigest)
            // Without a digest the server cannot know what the node holds: it answers at once too.
            let again = clock.now
            _ = try await scene.node.pull(after: page.cursor, wait: 20)
            #expect(clock.now - again < .seconds(2))
            // v1 pages carry no digest.
            #expect(try await scene.node.pull(after: page.cursor, version: .v1).stateDigest == nil)
        }
    }

    @Test("Pulls woken together are read together, each with its own allotments, and the same state a plain pull reads")
    func wokenTogether() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let doorB = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door B")
            var current: [PullPage] = []
            for node in [scene.node, doorB] {
                let snapshot = try await node.snapshot()
                current.append(try await node.pull(after: snapshot.cursor))
            }
            // Both nodes' certificates exist now; read each one's state once more so both digests are settled.
            let settledA = try await scene.node.pull(after: current[0].cursor)
            let settledB = try await doorB.pull(after: current[1].cursor)
            let clock = ContinuousClock()
            let started = clock.now
            async let heldA = scene.node.pull(after: settledA.cursor, wait: 20, digest: settledA.stateDigest)
            async let heldB: (PullPage, Duration) = {
                let page = try await doorB.pull(after: settledB.cursor, wait: 20, digest: settledB.stateDigest)
                return (page, clock.now - started)
            }()
            try await Task.sleep(for: .milliseconds(500))
            let granted = try await server.api.send(
                .PUT, "/api/v1/nodes/\(scene.node.info.id.lowercasedText)/allotments/\(scene.ticketType.lowercasedText)",
                json: ["granted": 4], token: scene.organizer)
            #expect(granted.status == 200, "\(granted.text)")
            let (a, (b, heldForB)) = try await (heldA, heldB)
            #expect(heldForB > .milliseconds(450), "door B's pull was held until the grant woke the venue")
            #expect(clock.now - started < .seconds(5), "and both woke with it")
            #expect(a.allotments.map(\.granted) == [4])
            #expect(b.allotments.isEmpty, "door B holds no grant: \(b.allotments)")
            #expect(a.trust == b.trust, "one venue, one trust bundle")
            // What a woken pull read is what a plain pull reads now: same state, same digest.
            let plainA = try await scene.node.pull(after: a.cursor)
            let plainB = try await doorB.pull(after: b.cursor)
            #expect(plainA.stateDigest == a.stateDigest && plainA.trust == a.trust && plainA.allotments == a.allotments)
            #expect(plainB.stateDigest == b.stateDigest)
        }
    }

    @Test("A held pull answers when the node's allotment changes, with the new grant")
    func wakesOnAllotment() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let current = try await scene.node.pull(after: snapshot.cursor)
            let clock = ContinuousClock()
            async let held = scene.node.pull(after: current.cursor, wait: 20, digest: current.stateDigest)
            try await Task.sleep(for: .milliseconds(500))
            let granted = try await server.api.send(
                .PUT, "/api/v1/nodes/\(scene.node.info.id.lowercasedText)/allotments/\(scene.ticketType.lowercasedText)",
                json: ["granted": 7], token: scene.organizer)
            #expect(granted.status == 200, "\(granted.text)")
            let committed = clock.now
            let page = try await held
            #expect(clock.now - committed < .seconds(1))
            #expect(page.allotments.map(\.granted) == [7])
        }
    }

    @Test("A held pull with nothing to say sends a heartbeat at least every 2.5 s, well within the node's silence limit, then an empty page at its deadline")
    func heartbeats() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let current = try await scene.node.pull(after: snapshot.cursor)
            var request = HTTPClientRequest(url: server.api.baseURL + "/api/v1/sync/pull")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(scene.node.token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try SyncJSON.encoder.encode(PullRequest(
                cursor: current.cursor, clock: scene.node.clock, outboxDepth: 0, waitSeconds: 8, stateDigest: current.stateDigest))))
            let clock = ContinuousClock()
            let started = clock.now
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
            #expect(response.status.code == 200)
            #expect(clock.now - started < .seconds(1), "the status line waited for the page")
            var arrivals: [(ContinuousClock.Duration, String)] = []
            var body = Data()
            for try await chunk in response.body {
                arrivals.append((clock.now - started, String(buffer: chunk)))
                body.append(contentsOf: chunk.readableBytesView)
            }
            let heartbeats = arrivals.filter { $0.1.allSatisfy { $0 == " " } }
            #expect(heartbeats.count >= 3, "\(arrivals.map(\.0))")
            var previous = ContinuousClock.Duration.zero
            for (arrival, _) in arrivals {
                #expect(arrival - previous < LivePull.heartbeatInterval + .milliseconds(1000), "a gap of \(arrival - previous) without a byte")
                previous = arrival
            }
            #expect(previous >= .milliseconds(7_900) && previous < .seconds(10), "answered after \(previous)")
            let page = try SyncJSON.decoder.decode(PullPage.self, from: body)
            #expect(page.changes.isEmpty)
            #expect(page.cursor == current.cursor)
            // Stamped when answered, not when the pull arrived 8 s before.
            let lag = Int64(Date().timeIntervalSince1970 * 1000) - Int64(page.serverTime.wallMilliseconds)
            #expect(lag >= -1000 && lag < 1000, "server_time is \(lag) ms old")
        }
    }

    @Test("v1 pulls and pulls without wait_seconds answer at once; a wait outside 0…30 is refused")
    func noWaitWithoutAsking() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await scene.node.pull(after: snapshot.cursor, wait: 20, version: .v1)
            _ = try await scene.node.pull(after: snapshot.cursor)
            #expect(clock.now - started < .seconds(3))
            for wait in [-1, 31, Int(Int32.max)] {
                let body = #"{"protocol_version":2,"cursor":"\#(snapshot.cursor)","clock":{"hlc":"1.0","wall_milliseconds":1},"#
                    + #""outbox_depth":0,"wait_seconds":\#(wait)}"#
                let refused = try await server.api.send(.POST, "/api/v1/sync/pull", body: Data(body.utf8), token: scene.node.token)
                #expect(refused.status == 422, "\(wait): \(refused.text)")
            }
        }
    }
}
