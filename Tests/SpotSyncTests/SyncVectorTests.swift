import Foundation
import SpotCore
import SpotSync
import Testing

/// The examples of `SyncProtocol/vectors/sync-v1.json` are what the code reads and writes.
@Suite("Sync protocol v1 vectors")
struct SyncVectorTests {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SyncProtocol/vectors/sync-v1.json")

    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
    }

    /// JSON with `null` members removed (absent and null mean the same, §2).
    static func normalized(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { !($0.value is NSNull) }.mapValues(normalized)
        }
        if let array = value as? [Any] { return array.map(normalized) }
        return value
    }

    static func roundTrip<T: Codable>(_ type: T.Type, _ json: Any) throws -> Any {
        let data = try JSONSerialization.data(withJSONObject: json)
        let value = try SyncJSON.decoder.decode(T.self, from: data)
        return try JSONSerialization.jsonObject(with: SyncJSON.encoder.encode(value))
    }

    @Test("Every message decodes to its type and re-encodes to the same JSON")
    func messages() throws {
        let cases = try #require(try Self.document()["cases"] as? [[String: Any]])
        #expect(cases.count >= 10)
        for vector in cases {
            let name = vector["name"] as? String ?? "?"
            let json = try #require(vector["json"])
            let types: [String: (Any) throws -> Any] = [
                "EnrollRequest": { try Self.roundTrip(EnrollRequest.self, $0) },
                "EnrollResponse": { try Self.roundTrip(EnrollResponse.self, $0) },
                "SnapshotRequest": { try Self.roundTrip(SnapshotRequest.self, $0) },
                "Snapshot": { try Self.roundTrip(Snapshot.self, $0) },
                "PullRequest": { try Self.roundTrip(PullRequest.self, $0) },
                "PullPage": { try Self.roundTrip(PullPage.self, $0) },
                "PushRequest": { try Self.roundTrip(PushRequest.self, $0) },
                "PushResponse": { try Self.roundTrip(PushResponse.self, $0) },
                "TopUpRequest": { try Self.roundTrip(TopUpRequest.self, $0) },
                "SyncErrorBody": { try Self.roundTrip(SyncErrorBody.self, $0) },
            ]
            let roundTrip = try #require(types[vector["type"] as? String ?? ""], "unknown type in \(name)")
            let again = try roundTrip(json)
            #expect(
                NSDictionary(dictionary: Self.normalized(again) as? [String: Any] ?? [:])
                    == NSDictionary(dictionary: Self.normalized(json) as? [String: Any] ?? [:]),
                "\(name) does not round-trip")
        }
    }

    @Test("The snapshot's packed tickets are the listed tickets, byte for byte")
    func packedTickets() throws {
        let document = try Self.document()
        let listed = try #require(document["packed_tickets"] as? [Any])
        let tickets = try SyncJSON.decoder.decode([SyncTicket].self, from: JSONSerialization.data(withJSONObject: listed))
        let cases = try #require(document["cases"] as? [[String: Any]])
        let snapshot = try #require(cases.first { $0["type"] as? String == "Snapshot" }?["json"])
        let decoded = try SyncJSON.decoder.decode(Snapshot.self, from: JSONSerialization.data(withJSONObject: snapshot))
        #expect(try decoded.tickets.decoded() == tickets)
        #expect(PackedTickets(tickets) == decoded.tickets)
        #expect(tickets[1].revocation == Revocation(ticketID: tickets[1].id, issueVersion: 2, reason: .refunded))
    }

    @Test("Malformed packed tickets are typed errors")
    func malformedPacked() throws {
        let ticket = SyncTicket(id: UUID(), eventID: UUID(), ticketTypeID: UUID(), issueVersion: 1)
        var packed = PackedTickets([ticket])
        packed.count = 2
        #expect(throws: PackedTicketsError.wrongLength(expected: 114, actual: 57)) { try packed.decoded() }
        packed = PackedTickets([ticket])
        packed.data = "%%%"
        #expect(throws: PackedTicketsError.notBase64) { try packed.decoded() }
        packed = PackedTickets([ticket])
        packed.format = "tickets.packed.v9"
        #expect(throws: PackedTicketsError.unknownFormat("tickets.packed.v9")) { try packed.decoded() }
        var bytes = [UInt8](Data(base64Encoded: PackedTickets([ticket]).data)!)
        bytes[56] = 1  // a reason without a revoked version
        packed = PackedTickets([ticket])
        packed.data = Data(bytes).base64EncodedString()
        #expect(throws: PackedTicketsError.self) { try packed.decoded() }
    }

    @Test("HLC readings travel as text, and bad text is refused")
    func hlcText() throws {
        #expect(HLCTimestamp(text: "1767225600000.3") == HLCTimestamp(wallMilliseconds: 1_767_225_600_000, counter: 3))
        for bad in ["", "1.2.3", "-1.0", "1767225600000", "1.70000", "x.1", "1.-1"] {
            #expect(HLCTimestamp(text: bad) == nil, "\(bad)")
        }
        let data = try SyncJSON.encoder.encode(["at": HLCTimestamp(wallMilliseconds: 5, counter: 1)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"at":"5.1"}"#)
    }
}
