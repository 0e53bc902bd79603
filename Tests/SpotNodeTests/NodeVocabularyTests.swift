import Foundation
import GRDB
import SpotCore
import SpotSync
import SpotTestSupport
import Testing

@testable import SpotNode

/// The node's SQLite stores only the shared vocabularies' values, and what a newer server sends
/// that this node does not know fails closed.
@Suite("Node vocabulary: CHECK constraints and unknown values")
struct NodeVocabularyTests {
    func queue() throws -> (DatabaseQueue, URL) {
        let directory = try makeTemporaryDirectory("spot-node-vocabulary")
        return (try DatabaseQueue(path: directory.appendingPathComponent("node.sqlite").path), directory)
    }

    /// Every known value goes in; one outside the vocabulary is refused by the table itself.
    func expectColumn(
        _ db: Database, _ insert: String, values: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for (index, value) in values.enumerated() {
            try db.execute(sql: insert, arguments: ["known-\(index)-\(UUID())", value])
        }
        #expect(throws: DatabaseError.self, sourceLocation: sourceLocation) {
            try db.execute(sql: insert, arguments: ["unknown-\(UUID())", "not_a_known_value"])
        }
    }

    @Test("Every vocabulary column accepts exactly its enum's values")
    func checkConstraints() throws {
        let (queue, directory) = try queue()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try NodeDatabase(queue)
        try queue.write { db in
            try expectColumn(
                db, "INSERT INTO scans (id, ticket_id, issue_version, direction, gate, node_id, hlc, verdict) VALUES (?, 't', 1, 'entry', 'g', 'n', 1, ?)",
                values: VerdictCode.wireValues)
            try expectColumn(
                db, "INSERT INTO scans (id, ticket_id, issue_version, direction, gate, node_id, hlc, verdict) VALUES (?, 't', 1, ?, 'g', 'n', 1, 'ok')",
                values: ScanDirection.wireValues)
            try expectColumn(
                db, "INSERT INTO events VALUES (?, 'v', 't', 0, 1, 'published', ?)", values: ReentryPolicy.allCases.map(\.rawValue))
            try expectColumn(
                db, "INSERT INTO events VALUES (?, 'v', 't', 0, 1, ?, 'single_entry')",
                values: SyncEventStatus.allCases.filter { $0 != .withdrawn }.map(\.rawValue))
            try expectColumn(db, "INSERT INTO revocations VALUES (?, 1, ?)", values: RevocationReason.allCases.map(\.rawValue))
            try expectColumn(
                db, "INSERT INTO door_sales VALUES (?, 'e', 't', 1, ?, 100, 'EUR', 1, 0)", values: PaymentMethod.wireValues)
            try db.execute(sql: "DELETE FROM outbox")
            try expectColumn(
                db, "INSERT INTO outbox (body, kind, created_at) VALUES (?, ?, 0)", values: SyncMutation.Kind.wireValues)
            try expectColumn(
                db,
                "INSERT INTO rejected_mutations (mutation_id, body, kind, code, message, rejected_at) VALUES (abs(random() % 1000000), ?, ?, 'c', 'm', 0)",
                values: SyncMutation.Kind.wireValues)
        }
    }

    @Test("Upgrading an existing node keeps its rows and never reuses a mutation id, even with an empty outbox")
    func upgradeKeepsSequence() throws {
        let (queue, directory) = try queue()
        defer { try? FileManager.default.removeItem(at: directory) }
        try NodeDatabase.migrator.migrate(queue, upTo: "v3: staff PIN")
        try queue.write { db in
            for _ in 0..<7 { try db.execute(sql: "INSERT INTO outbox (kind, body, created_at) VALUES ('scan', '{}', 0)") }
            try db.execute(sql: "DELETE FROM outbox")  // all pushed and acknowledged
            try db.execute(sql: "INSERT INTO events VALUES ('e', 'v', 't', 0, 1, 'published', 'reentry_with_wristband')")
            try db.execute(sql: "INSERT INTO revocations VALUES ('t', 1, 'chargeback')")
        }
        _ = try NodeDatabase(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO outbox (kind, body, created_at) VALUES ('scan', '{}', 0)")
            #expect(db.lastInsertedRowID == 8)
            #expect(try String.fetchOne(db, sql: "SELECT reentry_policy FROM events WHERE id = 'e'") == "unrecognized")
            #expect(try String.fetchOne(db, sql: "SELECT reason FROM revocations WHERE ticket_id = 't'") == "unrecognized")
        }
    }

    @Test("From the wire: an unknown revocation reason still revokes, an unknown re-entry policy admits no one")
    func unknownWireValues() throws {
        let key = SigningKey()
        let event = UUID(), type = UUID(), venue = UUID()
        let revoked = try SignedTicket.sign(TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type), with: key)
        let fine = try SignedTicket.sign(TicketClaims(ticketID: UUID(), eventID: event, ticketTypeID: type), with: key)
        let now = Date()
        let ticket = SyncTicket(
            id: revoked.claims.ticketID, eventID: event, ticketTypeID: type, issueVersion: 1, revokedVersion: 1, revokedReason: .refunded)
        // What a newer server would send: a reason and a policy this node does not know.
        let sent = String(decoding: try SyncJSON.encoder.encode(ticket), as: UTF8.self).replacingOccurrences(of: "refunded", with: "chargeback")
        let decoded = try SyncJSON.decoder.decode(SyncTicket.self, from: Data(sent.utf8))
        #expect(decoded.revokedReason == .unrecognized)
        #expect(decoded.revocation?.reason == .unrecognized)
        let eventJSON = String(decoding: try SyncJSON.encoder.encode(SyncEvent(
            id: event, venueID: venue, title: "T", startsAt: now.addingTimeInterval(-60), endsAt: now.addingTimeInterval(3600),
            status: .published, reentryPolicy: .singleEntry)), as: UTF8.self)
        let newerEvent = try SyncJSON.decoder.decode(
            SyncEvent.self, from: Data(eventJSON.replacingOccurrences(of: "single_entry", with: "reentry_with_wristband").utf8))
        #expect(newerEvent.reentryPolicy == .unrecognized)
        // An unknown payment method, direction or verdict is refused, never defaulted.
        for (field, value) in [("\"direction\":\"entry\"", "\"direction\":\"sideways\""), ("\"verdict\":\"ok\"", "\"verdict\":\"probably\"")] {
            let scan = String(decoding: try SyncJSON.encoder.encode(SyncScan(
                id: UUID(), ticketID: UUID(), issueVersion: 1, eventID: event, direction: .entry, gate: "G", nodeID: UUID(),
                hlc: HLCTimestamp(wallMilliseconds: 1), verdict: .ok)), as: UTF8.self)
            #expect(throws: DecodingError.self) {
                try SyncJSON.decoder.decode(SyncScan.self, from: Data(scan.replacingOccurrences(of: field, with: value).utf8))
            }
        }

        // The verdicts at a door fed with these values.
        let verifier = TicketVerifier(
            trust: try TrustStore(issuerKeys: [IssuerKey(publicKey: key.publicKey)]),
            gate: GatePolicy(gate: "North", events: [EventAdmission(eventID: event, reentryPolicy: .singleEntry)]))
        let revocations = RevocationList([try #require(decoded.revocation)])
        #expect(verifier.verify(revoked.text, at: now, revocations: revocations, scans: ScanLedger()).verdict == .revoked(.unrecognized))
        let newer = TicketVerifier(
            trust: verifier.trust, gate: GatePolicy(gate: "North", events: [EventAdmission(eventID: event, reentryPolicy: newerEvent.reentryPolicy)]))
        #expect(newer.verify(fine.text, at: now, revocations: RevocationList(), scans: ScanLedger()).verdict == .unsupportedPolicy)
    }
}
