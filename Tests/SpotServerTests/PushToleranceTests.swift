import Foundation
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotServer

/// Protocol 2 rejects an unreadable item of a push on its own, so one bad mutation never
/// stalls a node's outbox; protocol 1 still refuses such a push whole (sync-v2.md §6.2).
@Suite("Push: item by item in v2, whole in v1")
struct PushToleranceTests {
    /// Two good scans around an item of a kind nobody knows and a scan whose gate is a number.
    static func body(_ scene: SyncTests.Scene, version: Int) throws -> Data {
        let scans = (0..<2).map {
            scene.node.scan(ticket: scene.tickets[$0].id, event: scene.event, hlc: HLCTimestamp(wallMilliseconds: 5_000 + Int64($0)))
        }
        var request = try JSONSerialization.jsonObject(with: SyncJSON.encoder.encode(PushRequest(
            protocolVersion: version, nodeID: scene.node.info.id, clock: scene.node.clock,
            mutations: [SyncMutation(mutationID: 1, body: .scan(scans[0])), SyncMutation(mutationID: 4, body: .scan(scans[1]))])))
            as! [String: Any]
        var mutations = request["mutations"] as! [[String: Any]]
        var badGate = mutations[0]
        badGate["mutation_id"] = 3
        var scan = badGate["scan"] as! [String: Any]
        scan["gate"] = 7
        badGate["scan"] = scan
        mutations.insert(["mutation_id": 2, "kind": "teleport", "teleport": ["to": "moon"]], at: 1)
        mutations.insert(badGate, at: 2)
        request["mutations"] = mutations
        return try JSONSerialization.data(withJSONObject: request)
    }

    @Test("v2: the readable items apply, each unreadable one is rejected with its field; a replay answers the same")
    func itemByItem() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 2)
            let body = try Self.body(scene, version: 2)
            for attempt in 0..<2 {
                let response = try await server.api.send(.POST, "/api/v1/sync/push", body: body, token: scene.node.token)
                #expect(response.status == 200, "\(response.text)")
                let results = try SyncJSON.decoder.decode(PushResponse.self, from: response.body).results
                #expect(results.map(\.mutationID) == [1, 2, 3, 4])
                #expect(results.map(\.status) == (attempt == 0 ? [.applied, .rejected, .rejected, .applied]
                                                                : [.duplicate, .rejected, .rejected, .duplicate]))
                #expect(results[1].error?.knownCode == .unreadableMutation)
                #expect(results[1].error?.fields?.keys.first == "mutations[1].kind", "\(String(describing: results[1].error))")
                #expect(results[2].error?.fields == ["mutations[2].scan.gate": "expected a string"])
            }
            #expect(try await server.count("SELECT count(*) FROM scans") == 2)
            #expect(try await server.count("SELECT last_mutation_id FROM nodes") == 4)
        }
    }

    @Test("v1: the same push is refused whole, naming the first unreadable item; an unreadable mutation_id refuses it in v2 too")
    func wholeBatch() async throws {
        try await TestServer.run { server in
            let scene = try await SyncTests.scene(server, tickets: 2)
            let v1 = try await server.api.send(
                .POST, "/api/v1/sync/push", body: try Self.body(scene, version: 1), token: scene.node.token)
            #expect(v1.status == 422)
            #expect(v1.json["error"]["fields"]["mutations[1].kind"].string != nil, "\(v1.text)")
            var request = try JSONSerialization.jsonObject(with: Self.body(scene, version: 2)) as! [String: Any]
            var mutations = request["mutations"] as! [[String: Any]]
            mutations[1]["mutation_id"] = "two"
            request["mutations"] = mutations
            let noID = try await server.api.send(
                .POST, "/api/v1/sync/push", body: try JSONSerialization.data(withJSONObject: request), token: scene.node.token)
            #expect(noID.status == 422)
            #expect(noID.json["error"]["fields"]["mutations[1].mutation_id"].string != nil, "\(noID.text)")
            #expect(try await server.count("SELECT count(*) FROM scans") == 0)
            #expect(try await server.count("SELECT count(*) FROM node_mutations") == 0)
        }
    }
}
