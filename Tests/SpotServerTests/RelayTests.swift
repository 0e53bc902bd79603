import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

/// `POST /api/v1/sync/relay` (sync-v2.md §6.4) on a real PostgreSQL: a node hands over facts
/// its peer signed; each is applied once under the origin's identity, whoever brings it first.
@Suite("Relayed facts")
struct RelayTests {
    /// `node`'s fact `mutationID`, signed with `key` (its own unless a forgery is wanted).
    static func fact(_ node: TestNode, _ mutationID: Int64, _ scan: SyncScan, key: SigningKey? = nil) throws -> SignedFact {
        try SignedFact.sign(
            node: node.info.id, mutationID: mutationID, kind: .scan,
            body: String(decoding: try SyncJSON.encoder.encode(scan), as: UTF8.self), key: (key ?? node.deviceKey).privateKey)
    }

    static func relay(_ relayer: TestNode, _ facts: [SignedFact], version: Int = 2) async throws -> APIResponse {
        try await relayer.server.sync(
            "relay", RelayRequest(protocolVersion: version, nodeID: relayer.info.id, clock: relayer.clock, facts: facts),
            token: relayer.token)
    }

    static func results(_ response: APIResponse) throws -> [RelayResult] {
        guard response.status == 200 else { throw TestFailure("relay: \(response.status) \(response.text)") }
        return try SyncJSON.decoder.decode(RelayResponse.self, from: response.body).results
    }

    @Test("A peer's facts relayed are applied once as the origin's; the origin's own push and a second relay are duplicates; forged, foreign and misattributed facts are rejected one by one; whole-request faults change nothing; a revoked origin's facts count only from before its revocation")
    func relay() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 2)
            let doorA = scene.node
            let doorB = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door B")
            let otherVenue = try await server.createVenue(token: scene.organizer, name: "Other Hall")
            let stranger = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: otherVenue, name: "Elsewhere")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let first = doorA.scan(ticket: scene.tickets[0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now - 5_000))
            let second = doorA.scan(ticket: scene.tickets[1].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now - 4_000))

            // Door B brings door A's two scans: applied, as door A's, without touching door A's contact.
            let relayed = try Self.results(try await Self.relay(doorB, [try Self.fact(doorA, 1, first), try Self.fact(doorA, 2, second)]))
            #expect(relayed.map(\.status) == [.applied, .applied] && relayed.allSatisfy { $0.nodeID == doorA.info.id })
            let a = doorA.info.id
            #expect(try await server.count("SELECT count(*)::int FROM scans WHERE node_id = '\(a)'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM node_mutations WHERE node_id = '\(a)'") == 2)
            #expect(try await server.count("SELECT count(*)::int FROM nodes WHERE id = '\(a)' AND last_mutation_id = 2 AND last_push_at IS NULL") == 1)

            // Brought again, or pushed by door A itself: duplicates; door A's next fact is applied.
            #expect(try Self.results(try await Self.relay(doorB, [try Self.fact(doorA, 1, first)])).map(\.status) == [.duplicate])
            let again = doorA.scan(
                ticket: scene.tickets[0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now - 3_000), verdict: .alreadyAdmitted)
            let own = try await doorA.push([
                SyncMutation(mutationID: 1, body: .scan(first)), SyncMutation(mutationID: 2, body: .scan(second)),
                SyncMutation(mutationID: 3, body: .scan(again)),
            ])
            #expect(own.results.map(\.status) == [.duplicate, .duplicate, .applied])
            #expect(try await server.count("SELECT count(*)::int FROM scans") == 3)
            #expect(try await server.count("SELECT count(*)::int FROM conflicts") == 0)

            // One by one: signed by another key, a node of another venue, a scan naming another node, an unreadable body.
            let later = doorA.scan(
                ticket: scene.tickets[1].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now - 2_000), verdict: .alreadyAdmitted)
            var misattributed = later
            misattributed.nodeID = doorB.info.id
            let unreadable = try SignedFact.sign(
                node: a, mutationID: 7, kind: .scan, body: "{\"gate\":1}", key: doorA.deviceKey.privateKey)
            let strangerScan = stranger.scan(ticket: UUID(), event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now))
            let refused = try Self.results(try await Self.relay(doorB, [
                try Self.fact(doorA, 4, later, key: doorB.deviceKey), try Self.fact(doorA, 5, misattributed), unreadable,
                try Self.fact(stranger, 1, strangerScan),
            ]))
            #expect(refused.map(\.status) == [.rejected, .rejected, .rejected, .rejected])
            #expect(refused.map { $0.error?.code } == ["invalid_fact_signature", "wrong_node", "unreadable_mutation", "wrong_venue"])
            #expect(try await server.count("SELECT count(*)::int FROM scans") == 3)
            #expect(try await server.count("SELECT count(*)::int FROM node_mutations") == 3, "nothing of a refused fact is logged")

            // Whole-request faults: its own facts, none, too many, protocol 1.
            let ownFact = try Self.fact(doorB, 1, doorB.scan(ticket: scene.tickets[0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now)))
            let selfRelay = try await Self.relay(doorB, [ownFact])
            #expect(selfRelay.status == 422 && selfRelay.text.contains("facts[0].node_id"), "\(selfRelay.text)")
            #expect(try await Self.relay(doorB, []).status == 422)
            let many = try (1...501).map { try Self.fact(doorA, Int64(10 + $0), later) }
            #expect(try await Self.relay(doorB, many).status == 422)
            let backwards = try await Self.relay(doorB, [try Self.fact(doorA, 9, later), try Self.fact(doorA, 8, later)])
            #expect(backwards.status == 422 && backwards.text.contains("facts[1].mutation_id"), "\(backwards.text)")
            let v1 = try await Self.relay(doorB, [try Self.fact(doorA, 4, later)], version: 1)
            #expect(v1.status == 400 && v1.errorCode == "unsupported_protocol_version", "\(v1.text)")
            #expect(try await server.count("SELECT count(*)::int FROM scans") == 3)

            // Door A is revoked: what it did before still counts, nothing after.
            #expect(try await server.api.post("/api/v1/nodes/\(a.uuidString.lowercased())/revoke", token: scene.organizer).status == 204)
            let afterRevocation = doorA.scan(
                ticket: scene.tickets[1].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: now + 600_000), verdict: .alreadyAdmitted)
            let revoked = try Self.results(try await Self.relay(doorB, [try Self.fact(doorA, 4, later), try Self.fact(doorA, 5, afterRevocation)]))
            #expect(revoked.map(\.status) == [.applied, .rejected] && revoked[1].error?.code == "node_revoked", "\(revoked)")
            #expect(try await server.count("SELECT count(*)::int FROM scans") == 4)
        }
    }

    static func peers(_ node: TestNode, _ advertise: [String], version: Int = 2) async throws -> APIResponse {
        try await node.server.sync("peers", PeersRequest(protocolVersion: version, advertise: advertise), token: node.token)
    }

    @Test("The venue's nodes: each node says where it is reached on the LAN and gets the other active nodes of its venue with theirs; not itself, not a revoked node, not another venue's; bad addresses and protocol 1 change nothing")
    func venuePeers() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 1)
            let doorA = scene.node
            let doorB = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door B")
            let doorC = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: scene.venue, name: "Door C")
            let otherVenue = try await server.createVenue(token: scene.organizer, name: "Other Hall")
            let stranger = try await TestNode.enroll(server, organizerToken: scene.organizer, venue: otherVenue, name: "Elsewhere")
            #expect(try await Self.peers(stranger, ["https://10.9.9.9:8443"]).status == 200)

            let first = try await Self.peers(doorA, ["https://10.0.0.11:8443", "https://door-a.local:8443"])
            #expect(first.status == 200, "\(first.text)")
            let seenByB = try SyncJSON.decoder.decode(PeersResponse.self, from: try await Self.peers(doorB, ["http://[fd00::12]:8081"]).body)
            #expect(seenByB.nodes.map(\.nodeID) == [doorA.info.id, doorC.info.id], "the venue's other nodes, by name")
            #expect(seenByB.nodes[0].urls == ["https://10.0.0.11:8443", "https://door-a.local:8443"])
            #expect(seenByB.nodes[0].devicePublicKey == Data(doorA.deviceKey.publicKey.rawRepresentation).base64EncodedString())
            #expect(seenByB.nodes[1].urls.isEmpty, "door C has not said where it is")
            #expect(seenByB.kioskFailover == .offer, "kiosks offer the switch unless the organizer says otherwise")
            let switching = try await server.api.send(
                .PATCH, "/api/v1/venues/\(scene.venue)", json: ["kiosk_failover": "switch"], token: scene.organizer)
            #expect(switching.status == 200 && switching.json["kiosk_failover"].string == "switch", "\(switching.text)")
            let unknown = try await server.api.send(
                .PATCH, "/api/v1/venues/\(scene.venue)", json: ["kiosk_failover": "sometimes"], token: scene.organizer)
            #expect(unknown.status == 422 && unknown.text.contains("kiosk_failover"), "\(unknown.text)")
            let switched = try SyncJSON.decoder.decode(PeersResponse.self, from: try await Self.peers(doorB, ["http://[fd00::12]:8081"]).body)
            #expect(switched.kioskFailover == .switch)
            let seenByA = try SyncJSON.decoder.decode(PeersResponse.self, from: try await Self.peers(doorA, []).body)
            #expect(seenByA.nodes.first { $0.nodeID == doorB.info.id }?.urls == ["http://[fd00::12]:8081"])
            #expect(try await server.count("SELECT cardinality(lan_urls) FROM nodes WHERE id = '\(doorA.info.id)'") == 0, "A now says none")

            // Not a base URL, too many, too long, protocol 1: refused, nothing stored.
            for bad in [["ftp://10.0.0.1"], ["https://10.0.0.1:8443/kiosk"], ["https://user@10.0.0.1"], ["https://10.0.0.1?x=1"], [""],
                        Array(repeating: "https://10.0.0.1:8443", count: 9), ["https://" + String(repeating: "a", count: 200)]] {
                let refused = try await Self.peers(doorC, bad)
                #expect(refused.status == 422 && refused.errorCode == "validation_failed", "\(bad.first ?? ""): \(refused.text)")
            }
            let v1 = try await Self.peers(doorC, ["https://10.0.0.13:8443"], version: 1)
            #expect(v1.status == 400 && v1.errorCode == "unsupported_protocol_version")
            #expect(try await server.count("SELECT cardinality(lan_urls) FROM nodes WHERE id = '\(doorC.info.id)'") == 0)

            // Revoked: no longer listed.
            #expect(try await server.api.post("/api/v1/nodes/\(doorC.info.id.uuidString.lowercased())/revoke", token: scene.organizer).status == 204)
            let after = try SyncJSON.decoder.decode(PeersResponse.self, from: try await Self.peers(doorB, []).body)
            #expect(after.nodes.map(\.nodeID) == [doorA.info.id])
        }
    }
}
