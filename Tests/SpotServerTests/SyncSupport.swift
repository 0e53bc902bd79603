import Foundation
import SpotCore
import SpotSync
import SpotTestSupport

/// A node enrolled against a ``TestServer``, speaking sync protocol v1 as raw JSON.
struct TestNode: Sendable {
    let server: TestServer
    let info: SyncNodeInfo
    let token: String
    let deviceKey: SigningKey

    /// Creates an enrollment code for `venue` as the organizer and enrolls a node with it.
    static func enroll(_ server: TestServer, organizerToken: String, venue: String, name: String = "Door A") async throws -> TestNode {
        let code = try await server.api.post(
            "/api/v1/venues/\(venue)/enrollment-codes", ["name": name], token: organizerToken)
        guard code.status == 201, let text = code.json["code"].string else { throw TestFailure("code: \(code.text)") }
        let key = SigningKey()
        let response = try await server.sync(
            "enroll", EnrollRequest(code: text, devicePublicKey: Data(key.publicKey.rawRepresentation).base64EncodedString(), name: name))
        guard response.status == 201 else { throw TestFailure("enroll: \(response.text)") }
        let enrolled = try SyncJSON.decoder.decode(EnrollResponse.self, from: response.body)
        return TestNode(server: server, info: enrolled.node, token: enrolled.credential.token, deviceKey: key)
    }

    var clock: SyncClockReading {
        SyncClockReading(
            hlc: HLCTimestamp(wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)),
            wallMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
    }

    func snapshot() async throws -> Snapshot {
        let response = try await server.sync("snapshot", SnapshotRequest(clock: clock), token: token)
        guard response.status == 200 else { throw TestFailure("snapshot: \(response.text)") }
        return try SyncJSON.decoder.decode(Snapshot.self, from: response.body)
    }

    func pull(
        after cursor: String, limit: Int? = nil, wait: Int? = nil, digest: String? = nil,
        version: SyncProtocolVersion = .current
    ) async throws -> PullPage {
        let response = try await server.sync(
            "pull",
            PullRequest(
                protocolVersion: version.rawValue, cursor: cursor, limit: limit, clock: clock, outboxDepth: 0, waitSeconds: wait,
                stateDigest: digest),
            token: token)
        guard response.status == 200 else { throw TestFailure("pull: \(response.text)") }
        return try SyncJSON.decoder.decode(PullPage.self, from: response.body)
    }

    /// Pulls until the feed is drained; returns every change and the final cursor.
    func drain(from cursor: String) async throws -> ([SyncChange], String) {
        var cursor = cursor
        var changes: [SyncChange] = []
        while true {
            let page = try await pull(after: cursor)
            changes += page.changes
            cursor = page.cursor
            if !page.hasMore { return (changes, cursor) }
        }
    }

    func push(_ mutations: [SyncMutation]) async throws -> PushResponse {
        let response = try await server.sync("push", PushRequest(nodeID: info.id, clock: clock, mutations: mutations), token: token)
        guard response.status == 200 else { throw TestFailure("push: \(response.text)") }
        return try SyncJSON.decoder.decode(PushResponse.self, from: response.body)
    }

    /// A scan of `ticket` by this node at `hlc`.
    func scan(ticket: UUID, event: UUID, hlc: HLCTimestamp, gate: String = "A", verdict: VerdictCode = .ok) -> SyncScan {
        SyncScan(
            id: UUID(), ticketID: ticket, issueVersion: 1, eventID: event, direction: .entry, gate: gate, nodeID: info.id,
            hlc: hlc, verdict: verdict)
    }
}

extension TestServer {
    /// POSTs a sync message to `/api/v1/sync/<route>`.
    func sync(_ route: String, _ message: some Encodable, token: String? = nil) async throws -> APIResponse {
        try await api.send(.POST, "/api/v1/sync/\(route)", body: try SyncJSON.encoder.encode(message), token: token)
    }

    /// The venue of an event.
    func venue(ofEvent event: String, token: String) async throws -> String {
        let response = try await api.get("/api/v1/events/\(event)", token: token)
        guard let venue = response.json["venue_id"].string else { throw TestFailure("event: \(response.text)") }
        return venue
    }
}

extension TestServer {
    /// Waits until every change in the sync feed can be read. Transaction ids are cluster-wide, so
    /// a transaction another suite keeps open holds this test's changes back for a moment; a test
    /// that expects its scene's changes in the snapshot, not on a later pull, waits for this first.
    func waitUntilFeedReadable() async throws {
        for _ in 0..<200 {
            let heldBack = try await count(
                "SELECT count(*)::int FROM sync_feed WHERE txid >= pg_snapshot_xmin(pg_current_snapshot())")
            if heldBack == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the sync feed was still held back after 10 s")
    }
}
