import Foundation
import Logging
import PostgresNIO
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

@Suite("Sync protocol v1 on the server")
struct SyncTests {
    /// An organizer with an event on sale, a buyer holding `tickets` tickets, and an enrolled node.
    struct Scene: Sendable {
        let organizer: String
        let event: UUID
        let ticketType: UUID
        let venue: String
        let tickets: [(id: UUID, payload: String)]
        let node: TestNode
        let buyer: String
    }

    static func scene(_ server: TestServer, tickets count: Int = 2) async throws -> Scene {
        let admin = try await server.admin()
        let sale = try await server.onSale(admin: admin)
        let (buyer, _, _) = try await server.register("buyer@example.com")
        _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: count)
        let wallet = try await server.api.get("/api/v1/wallet", token: buyer).json["items"].array
        let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
        let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
        try await server.waitUntilFeedReadable()
        return Scene(
            organizer: sale.token, event: UUID(uuidString: sale.event)!, ticketType: UUID(uuidString: sale.ticketType)!,
            venue: venue, tickets: wallet.map { (UUID(uuidString: $0["id"].string!)!, $0["payload"].string!) }, node: node,
            buyer: buyer)
    }

    @Test("Enrollment: a one-time code, a device credential, and a snapshot of the venue with the node's certificate")
    func enrollment() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server)
            let snapshot = try await scene.node.snapshot()
            #expect(snapshot.node.id == scene.node.info.id)
            #expect(snapshot.events.map(\.id) == [scene.event])
            #expect(snapshot.ticketTypes.map(\.id) == [scene.ticketType])
            #expect(Set(try snapshot.tickets.decoded().map(\.id)) == Set(scene.tickets.map(\.id)))
            let trust = try snapshot.trust.trustStore()
            #expect(trust.certificates.map(\.claims.nodeID) == [scene.node.info.id])
            #expect(trust.certificates.first?.deviceKeyID == scene.node.deviceKey.keyID)
            // The code is spent.
            let again = try await server.api.post(
                "/api/v1/venues/\(scene.venue)/enrollment-codes", token: scene.organizer)
            let code = again.json["code"].string!
            let first = try await server.sync("enroll", EnrollRequest(
                code: code, devicePublicKey: Data(SigningKey().publicKey.rawRepresentation).base64EncodedString(), name: "B"))
            #expect(first.status == 201)
            let second = try await server.sync("enroll", EnrollRequest(
                code: code, devicePublicKey: Data(SigningKey().publicKey.rawRepresentation).base64EncodedString(), name: "C"))
            #expect(second.status == 401)
            #expect(second.errorCode == "enrollment_code_used")
            // Organizer tokens are not device credentials, and sync needs one.
            let unauthenticated = try await server.sync("snapshot", SnapshotRequest(clock: scene.node.clock))
            #expect(unauthenticated.status == 401)
            let wrongKind = try await server.sync("snapshot", SnapshotRequest(clock: scene.node.clock), token: scene.organizer)
            #expect(wrongKind.errorCode == "token_invalid")
        }
    }

    @Test("Every request states its version: N and N−1 are served, anything else is a typed error naming what to upgrade")
    func versions() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            var request = PullRequest(cursor: "0.0", clock: scene.node.clock, outboxDepth: 0)
            request.protocolVersion = 99
            let newer = try await server.sync("pull", request, token: scene.node.token)
            #expect(newer.status == 400)
            #expect(newer.errorCode == "unsupported_protocol_version")
            #expect(newer.json["error"]["message"].string?.contains("upgrade the server") == true)
            request.protocolVersion = 0
            let older = try await server.sync("pull", request, token: scene.node.token)
            #expect(older.json["error"]["message"].string?.contains("upgrade the node") == true)
            let missing = try await server.api.send(
                .POST, "/api/v1/sync/pull", body: Data(#"{"cursor":"0.0"}"#.utf8), token: scene.node.token)
            #expect(missing.status == 422)
            #expect(missing.json["error"]["fields"]["protocol_version"].string != nil)
        }
    }

    @Test("A node reads and writes only its venue; a revoked node is refused")
    func venueScope() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            // Another venue of the same organizer, with its own event and ticket.
            let otherVenue = try await server.createVenue(token: scene.organizer, name: "Other Hall")
            let otherEvent = try await server.publishedEvent(token: scene.organizer, venue: otherVenue, title: "Elsewhere")
            let snapshot = try await scene.node.snapshot()
            #expect(!snapshot.events.contains { $0.id.uuidString.lowercased() == otherEvent })
            let (changes, _) = try await scene.node.drain(from: snapshot.cursor)
            #expect(!changes.contains { if case .event(let e) = $0 { e.venueID.uuidString.lowercased() == otherVenue } else { false } })
            // Pushing a scan of the other venue's event is rejected, and nothing is stored.
            let foreign = scene.node.scan(
                ticket: UUID(), event: UUID(uuidString: otherEvent)!, hlc: HLCTimestamp(wallMilliseconds: 1_000))
            let response = try await scene.node.push([SyncMutation(mutationID: 1, body: .scan(foreign))])
            #expect(response.results.map(\.status) == [.rejected])
            #expect(response.results.first?.error?.code == "wrong_venue")
            #expect(try await server.count("SELECT count(*) FROM scans") == 0)
            // A scan that names another node is rejected too.
            var impostor = scene.node.scan(ticket: scene.tickets[0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: 2_000))
            impostor.nodeID = UUID()
            let second = try await scene.node.push([SyncMutation(mutationID: 2, body: .scan(impostor))])
            #expect(second.results.first?.error?.code == "wrong_node")
            // Revoked: refused at once, and its certificate leaves the venue's trust.
            let revoked = try await server.api.post("/api/v1/nodes/\(scene.node.info.id.uuidString.lowercased())/revoke", token: scene.organizer)
            #expect(revoked.status == 204)
            let refused = try await server.sync("pull", PullRequest(cursor: "0.0", clock: scene.node.clock, outboxDepth: 0), token: scene.node.token)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "node_revoked")
            let sibling = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door B")
            let trust = try await sibling.snapshot().trust.trustStore()
            #expect(trust.certificates.map(\.claims.nodeID) == [sibling.info.id])
            // A venue a node enrolled at keeps that history: it cannot be deleted (a clear 409, not a 500).
            let emptyVenue = try await server.createVenue(token: scene.organizer, name: "Pop-up")
            _ = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: emptyVenue, name: "Pop-up door")
            let kept = try await server.api.delete("/api/v1/venues/\(emptyVenue)", token: scene.organizer)
            #expect(kept.status == 409 && kept.errorCode == "venue_has_nodes", "\(kept.text)")
            #expect(try await server.count("SELECT count(*)::int FROM venues WHERE name = 'Pop-up'") == 1)
        }
    }

    @Test("A node's credential is kept across its organizer's key rotation, and dropped when its venue's nodes change")
    func credentialKeptUntilItsNodesChange() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            let node = scene.node.info.id.lowercasedText
            let current = try await scene.node.pull(after: try await scene.node.snapshot().cursor)
            // The credential changes in the database without a signal: only what the replica keeps still admits the node.
            try await server.sql(
                "ALTER TABLE node_credentials DISABLE TRIGGER node_credentials_sync_signal",
                "UPDATE node_credentials SET token_hash = sha256(token_hash) WHERE node_id = '\(node)'",
                "ALTER TABLE node_credentials ENABLE TRIGGER node_credentials_sync_signal")
            // A key rotation signals the venue's state: the held pull wakes with the new key, so the signal has arrived.
            async let held = scene.node.pull(after: current.cursor, wait: 20, digest: current.stateDigest)
            try await Task.sleep(for: .milliseconds(300))
            let rotated = try await TestDatabase.withClient(server.database, logger: Logger(label: "test")) { client in
                let database = Database(client: client, maximumConnections: 2, registry: .init())
                return try await ServerMaintenance.rotateKeys(organizer: nil, database: database, logger: Logger(label: "test"))
            }
            let newKey = try #require(rotated.first?.active)
            func hasNewKey(_ page: PullPage) -> Bool { page.trust.issuerKeys.contains { $0.keyID == newKey && $0.status == "active" } }
            var woken = try await held
            // A pull answered early (a change of another test's transaction showing late) is pulled again.
            for _ in 0..<5 where !hasNewKey(woken) {
                woken = try await scene.node.pull(after: woken.cursor, wait: 5, digest: woken.stateDigest)
            }
            #expect(hasNewKey(woken))
            let kept = try await server.sync("pull", PullRequest(cursor: woken.cursor, clock: scene.node.clock, outboxDepth: 0), token: scene.node.token)
            #expect(kept.status == 200, "a state signal dropped the kept credential: \(kept.text)")
            // Any change to the node's credentials signals `nodes:<venue>`: the next request reads the database and is refused.
            try await server.sql("UPDATE node_credentials SET expires_at = expires_at WHERE node_id = '\(node)'")
            var refused = kept
            for _ in 0..<50 where refused.status == 200 {
                try await Task.sleep(for: .milliseconds(100))
                refused = try await server.sync("pull", PullRequest(cursor: woken.cursor, clock: scene.node.clock, outboxDepth: 0), token: scene.node.token)
            }
            #expect(refused.status == 401 && refused.errorCode == "token_invalid", "\(refused.status) \(refused.text)")
        }
    }

    @Test("Push is exactly-once: a replay byte for byte is a duplicate; garbage and truncated bodies change nothing")
    func exactlyOnce() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            let scan = scene.node.scan(ticket: scene.tickets[0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: 5_000))
            let body = try SyncJSON.encoder.encode(PushRequest(
                nodeID: scene.node.info.id, clock: scene.node.clock, mutations: [SyncMutation(mutationID: 1, body: .scan(scan))]))
            let first = try await server.api.send(.POST, "/api/v1/sync/push", body: body, token: scene.node.token)
            let replay = try await server.api.send(.POST, "/api/v1/sync/push", body: body, token: scene.node.token)
            #expect(try SyncJSON.decoder.decode(PushResponse.self, from: first.body).results.map(\.status) == [.applied])
            #expect(try SyncJSON.decoder.decode(PushResponse.self, from: replay.body).results.map(\.status) == [.duplicate])
            #expect(try await server.count("SELECT count(*) FROM scans") == 1)
            for garbage in [body.prefix(body.count / 2), Data("not json at all".utf8), Data(#"{"protocol_version":1}"#.utf8)] {
                let response = try await server.api.send(.POST, "/api/v1/sync/push", body: Data(garbage), token: scene.node.token)
                #expect([400, 422].contains(response.status))
                #expect(response.errorCode != nil)
            }
            // Mutation ids must increase; the whole batch is refused otherwise.
            let unordered = try await server.sync("push", PushRequest(
                nodeID: scene.node.info.id, clock: scene.node.clock,
                mutations: [SyncMutation(mutationID: 3, body: .scan(scan)), SyncMutation(mutationID: 2, body: .scan(scan))]),
                token: scene.node.token)
            #expect(unordered.status == 422)
            #expect(try await server.count("SELECT count(*) FROM scans") == 1)
            #expect(try await server.count("SELECT count(*) FROM node_mutations") == 1)
        }
    }

    @Test("The feed follows commit order: a change committed late by a slow transaction is not skipped")
    func lateCommit() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let (_, start) = try await scene.node.drain(from: snapshot.cursor)
            let cursor = try await TestDatabase.withClient(server.database, logger: Logger(label: "slow")) { client in
                try await client.withConnection { slow in
                    // The slow transaction takes its transaction id first and writes a feed row…
                    try await slow.query("BEGIN", logger: Logger(label: "slow"))
                    try await slow.query(
                        "UPDATE ticket_types SET name = 'Renamed slowly' WHERE id = \(scene.ticketType)",
                        logger: Logger(label: "slow"))
                    // …then a fast one commits a later change (the event's title) and the node pulls.
                    let fast = try await server.api.patch(
                        "/api/v1/events/\(scene.event.uuidString.lowercased())", ["title": "Retitled fast"],
                        token: scene.organizer)
                    #expect(fast.status == 200)
                    let (during, afterFast) = try await scene.node.drain(from: start)
                    // The fast change is held back too: the cursor may not pass the running transaction.
                    #expect(!during.contains { if case .event = $0 { true } else { false } })
                    try await slow.query("COMMIT", logger: Logger(label: "slow"))
                    return afterFast
                }
            }
            // Transaction ids are cluster-wide: other tests' transactions may hold the feed back
            // a moment longer, so drain until both changes arrive (they must, never skipped).
            var after: [SyncChange] = []
            var next = cursor
            for _ in 0..<100 where after.count < 2 {
                let (changes, moved) = try await scene.node.drain(from: next)
                after += changes
                next = moved
                if after.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(after.contains { if case .ticketType(let type) = $0 { type.name == "Renamed slowly" } else { false } })
            #expect(after.contains { if case .event(let event) = $0 { event.title == "Retitled fast" } else { false } })
        }
    }

    @Test("The feed is pruned past its retention: an older cursor is told cursor_expired, a newer one still pulls")
    func feedPruning() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            let snapshot = try await scene.node.snapshot()
            let (_, before) = try await scene.node.drain(from: snapshot.cursor)
            let renamed = try await server.api.patch(
                "/api/v1/events/\(scene.event.uuidString.lowercased())", ["title": "Renamed before pruning"],
                token: scene.organizer)
            #expect(renamed.status == 200)
            // Wait until the change is readable (transaction ids are cluster-wide), keeping the
            // cursor from before it.
            var seen: [SyncChange] = []
            var after = before
            for _ in 0..<100 where seen.isEmpty {
                (seen, after) = try await scene.node.drain(from: before)
                if seen.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(!seen.isEmpty)
            let logger = Logger(label: "pruner")
            let pruned = try await TestDatabase.withClient(server.database, logger: logger) { client in
                let database = Database(client: client, maximumConnections: 4, registry: .init())
                let tomorrow = ServerClock { Date().addingTimeInterval(24 * 3600) }
                // A retention of two days prunes nothing yet; one hour prunes everything committed.
                let kept = try await SyncFeedPruner(
                    database: database, retention: 2 * 24 * 3600, interval: .seconds(60), clock: tomorrow, logger: logger
                ).pruneOnce()
                #expect(kept == 0)
                var total = 0
                let pruner = SyncFeedPruner(database: database, retention: 3600, interval: .seconds(60), clock: tomorrow, logger: logger)
                while case let round = try await pruner.pruneOnce(), round > 0 { total += round }
                return total
            }
            #expect(pruned > 0)
            let expired = try await server.sync(
                "pull", PullRequest(cursor: before, clock: scene.node.clock, outboxDepth: 0), token: scene.node.token)
            #expect(expired.status == 410)
            #expect(expired.errorCode == "cursor_expired")
            // The cursor that had read everything pruned is still good, and a new snapshot too.
            _ = try await scene.node.drain(from: after)
            let fresh = try await scene.node.snapshot()
            #expect(fresh.events.first?.title == "Renamed before pruning")
            _ = try await scene.node.drain(from: fresh.cursor)
        }
    }

    @Test("One ticket admitted at two nodes: the earliest (HLC, node, scan) is the admission, the other a conflict for every node")
    func duplicateAdmission() async throws {
        try await TestServer.run { server in
            let scene = try await Self.scene(server, tickets: 1)
            let sibling = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door B")
            let ticket = scene.tickets[0].id
            let later = scene.node.scan(ticket: ticket, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: 9_000), gate: "A")
            let earlier = sibling.scan(ticket: ticket, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: 8_000), gate: "B")
            // The later scan arrives first and is the admission for now…
            #expect(try await scene.node.push([SyncMutation(mutationID: 1, body: .scan(later))]).results.map(\.status) == [.applied])
            // …until the earlier one arrives: it is the admission, the later one the conflict.
            let response = try await sibling.push([SyncMutation(mutationID: 1, body: .scan(earlier))])
            #expect(response.results.map(\.status) == [.applied])
            let conflicts = try await server.api.get(
                "/api/v1/events/\(scene.event.uuidString.lowercased())/conflicts", token: scene.organizer).json["items"].array
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["kind"].string == "duplicate_admission")
            #expect(conflicts.first?["scan_id"].string == later.id.uuidString.lowercased())
            #expect(conflicts.first?["admitted_scan_id"].string == earlier.id.uuidString.lowercased())
            #expect(conflicts.first?["admitted_gate"].string == "B")
            #expect(conflicts.first?["message"].string?.hasPrefix("Also admitted at gate B at ") == true)
            // Both nodes learn it from the feed.
            let (changes, _) = try await scene.node.drain(from: try await scene.node.snapshot().cursor)
            _ = changes
            let fresh = try await scene.node.snapshot()
            #expect(fresh.conflicts.map(\.scanID) == [later.id])
            #expect(Set(fresh.scans.map(\.id)) == [later.id, earlier.id])
        }
    }

    @Test("Allotments leave the online pool; door sales are re-checked; releases return seats; the invariant holds")
    func allotments() async throws {
        try await TestServer.run { server in
            let admin = try await server.admin()
            let sale = try await server.onSale(admin: admin, capacity: 10)
            let venue = try await server.venue(ofEvent: sale.event, token: sale.token)
            let node = try await TestNode.enroll(server, organizerToken: sale.token, venue: venue)
            let nodeID = node.info.id.uuidString.lowercased()
            let grant = try await server.api.send(
                .PUT, "/api/v1/nodes/\(nodeID)/allotments/\(sale.ticketType)", json: ["granted": 8], token: sale.token)
            #expect(grant.status == 200)
            #expect(grant.json["granted"].int == 8)
            // Only 2 seats are left online.
            let (buyer, _, _) = try await server.register("buyer@example.com")
            let tooMany = try await server.hold(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 3)
            #expect(tooMany.errorCode == "sold_out")
            _ = try await server.buy(token: buyer, event: sale.event, ticketType: sale.ticketType, quantity: 2)
            let more = try await server.api.send(
                .PUT, "/api/v1/nodes/\(nodeID)/allotments/\(sale.ticketType)", json: ["granted": 9], token: sale.token)
            #expect(more.errorCode == "insufficient_inventory")
            let shrink = try await server.api.send(
                .PUT, "/api/v1/nodes/\(nodeID)/allotments/\(sale.ticketType)", json: ["granted": 5], token: sale.token)
            #expect(shrink.errorCode == "allotment_shrinks_by_release")
            // A door sale signed by the node's device key within the allotment is applied; a forged one rejected.
            let snapshot = try await node.snapshot()
            #expect(snapshot.allotments.map(\.granted) == [8])
            let event = UUID(uuidString: sale.event)!
            let type = UUID(uuidString: sale.ticketType)!
            func doorSale(_ quantity: Int, key: SigningKey) throws -> SyncSale {
                let tickets = try (0..<quantity).map { _ in
                    let claims = TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type)
                    return SyncSoldTicket(id: claims.ticketID, payload: try SignedTicket.sign(claims, with: key).text)
                }
                return SyncSale(
                    id: UUID(), nodeID: node.info.id, eventID: event, ticketTypeID: type, quantity: quantity,
                    paymentMethod: .cash, amountMinor: 2500 * Int64(quantity), currency: "EUR",
                    hlc: HLCTimestamp(wallMilliseconds: 10_000), tickets: tickets)
            }
            let pushed = try await node.push([
                SyncMutation(mutationID: 1, body: .sale(try doorSale(6, key: node.deviceKey))),
                SyncMutation(mutationID: 2, body: .sale(try doorSale(1, key: SigningKey()))),
                SyncMutation(mutationID: 3, body: .release(SyncRelease(ticketTypeID: type, quantity: 1))),
                SyncMutation(mutationID: 4, body: .sale(try doorSale(2, key: node.deviceKey))),
                SyncMutation(mutationID: 5, body: .release(SyncRelease(ticketTypeID: type, quantity: 5))),
            ])
            #expect(pushed.results.map(\.status) == [.applied, .rejected, .applied, .conflict, .rejected])
            #expect(pushed.results[1].error?.code == "invalid_ticket")
            #expect(pushed.results[3].conflicts.map(\.kind) == [.saleBeyondAllotment])
            #expect(pushed.results[4].error?.code == "release_exceeds_unsold")
            // Invariant: online reserved + Σ granted ≤ capacity; sold ≤ granted.
            #expect(try await server.count("SELECT held_or_sold + allotted FROM ticket_type_inventory") == 2 + 7)
            #expect(try await server.count("SELECT count(*) FROM ticket_types WHERE reserved + allotted > capacity") == 0)
            #expect(try await server.count("SELECT count(*) FROM allotments WHERE sold > granted") == 0)
            #expect(try await server.count("SELECT count(*) FROM door_tickets") == 8)
            // The organizer's statistics count the door sales and the conflict.
            let stats = try await server.api.get("/api/v1/organizers/me/statistics?event_id=\(sale.event)", token: sale.token).json
            #expect(stats["door_sales"]["sales"].int == 2)
            #expect(stats["door_sales"]["tickets"].int == 8)
            #expect(stats["door_sales"]["amount_minor"].int == 8 * 2500)
            #expect(stats["conflicts"].array.map { $0["kind"].string ?? "" } == ["sale_beyond_allotment"])
            let page = try await node.pull(after: snapshot.cursor)
            #expect(page.allotments.map(\.granted) == [7])
            #expect(page.allotments.map(\.sold) == [6])
            #expect(page.lastMutationID == 5)
        }
    }
}
