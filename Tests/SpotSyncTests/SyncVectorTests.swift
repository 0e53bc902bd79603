import Foundation
import SpotCore
import SpotSync
import Testing

/// The examples of `SyncProtocol/vectors/sync-v1.json` and `sync-v2.json` are what the code reads and writes.
@Suite("Sync protocol vectors")
struct SyncVectorTests {
    static func file(_ version: Int) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SyncProtocol/vectors/sync-v\(version).json")
    }

    static func document(_ version: Int = 1) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file(version))) as? [String: Any])
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

    @Test("Every message decodes to its type and re-encodes to the same JSON", arguments: [1, 2])
    func messages(version: Int) throws {
        let cases = try #require(try Self.document(version)["cases"] as? [[String: Any]])
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
            #expect((json as? [String: Any])?["protocol_version"] == nil
                || (json as? [String: Any])?["protocol_version"] as? Int == version, "\(name) states its version")
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

    @Test("v2: a held pull's body is heartbeat spaces, then the page")
    func heldPull() throws {
        let body = try #require(try Self.document(2)["held_pull"] as? String)
        #expect(body.hasPrefix(" ") && body.trimmingCharacters(in: .whitespaces).hasPrefix("{"))
        let page = try SyncJSON.decoder.decode(PullPage.self, from: Data(body.utf8))
        #expect(page.protocolVersion == 2)
        guard case .ticket(let ticket)? = page.changes.first else { Issue.record("no ticket change"); return }
        #expect(ticket.revokedReason == .reissued)
    }

    @Test("v2: a page carries the digest of its state, which the node's next held pull sends back; v1 pages none")
    func stateDigest() throws {
        func message<T: Decodable>(_ type: T.Type, _ name: String, version: Int) throws -> T {
            let cases = try #require(try Self.document(version)["cases"] as? [[String: Any]])
            let json = try #require(cases.first { $0["name"] as? String == name }?["json"], "no \(name)")
            return try SyncJSON.decoder.decode(T.self, from: JSONSerialization.data(withJSONObject: json))
        }
        let page = try message(PullPage.self, "pull page", version: 2)
        #expect(page.stateDigest == page.computedStateDigest())
        let held = try message(PullRequest.self, "held pull request", version: 2)
        #expect(held.stateDigest == page.stateDigest && held.cursor == page.cursor)
        #expect(try message(PullPage.self, "pull page", version: 1).stateDigest == nil)

        // The digest covers the state and nothing else: each field of it changes the digest, the
        // page's other fields do not, and a field's bytes never run into the next one's.
        var changes: [(String, (inout PullPage) -> Void)] = [
            ("a key's status", { $0.trust.issuerKeys[0].status = "retired" }),
            ("a key's deadline", { $0.trust.issuerKeys[0].verifiesUntil = Date(timeIntervalSince1970: 1_800_000_000) }),
            ("one certificate fewer", { $0.trust.deviceCertificates.removeLast() }),
            ("a certificate's text moved into the previous one", {
                let last = $0.trust.deviceCertificates.removeLast()
                $0.trust.deviceCertificates[$0.trust.deviceCertificates.count - 1] += String(last.prefix(1))
                $0.trust.deviceCertificates.append(String(last.dropFirst()))
            }),
            ("a seat granted", { $0.allotments[0].granted += 1 }),
            ("a seat sold", { $0.allotments[0].sold += 1 }),
            ("the mutation id", { $0.lastMutationID += 1 }),
        ]
        changes.append(("another allotment", { $0.allotments.append($0.allotments[0]) }))
        var digests: Set<String> = [page.computedStateDigest()]
        for (name, change) in changes {
            var changed = page
            change(&changed)
            #expect(digests.insert(changed.computedStateDigest()).inserted, "\(name) left the digest as it was")
        }
        var elsewhere = page
        elsewhere.changes = []
        elsewhere.cursor = "1.1"
        elsewhere.serverTime = HLCTimestamp(wallMilliseconds: 1)
        #expect(elsewhere.computedStateDigest() == page.computedStateDigest())
    }

    @Test("v2: an unreadable item is answered on its own, with the field the reader found")
    func unreadableItem() throws {
        let example = try #require(try Self.document(2)["push_with_unreadable_item"] as? [String: Any])
        let request = try SyncJSON.decoder.decode(
            PushRequest.self, from: JSONSerialization.data(withJSONObject: try #require(example["request"])))
        #expect(request.mutations.map(\.mutationID) == [1, 3])
        #expect(request.unreadable.map(\.mutationID) == [2])
        #expect(try request.checkBatch() == 3)
        let response = try SyncJSON.decoder.decode(
            PushResponse.self, from: JSONSerialization.data(withJSONObject: try #require(example["response"])))
        #expect(response.results.map(\.mutationID) == request.mutationIDs)
        let rejected = try #require(response.results.first { $0.status == .rejected })
        let problem = try #require(request.unreadable.first?.problem)
        #expect(rejected.error == SyncErrorDetail(
            code: ErrorCode.unreadableMutation.rawValue, message: PushRequest.unreadableMessage(problem),
            fields: [problem.field: problem.message]))
        #expect(problem.field == "mutations[1].kind")
    }

    @Test("v2: the hybrid logical clock's vectors — packing, refused texts, steps, order")
    func hlcVectors() throws {
        let hlc = try #require(try Self.document(2)["hlc"] as? [String: Any])
        for reading in try #require(hlc["readings"] as? [[String: Any]]) {
            let text = try #require(reading["text"] as? String)
            let value = try #require(HLCTimestamp(text: text), "\(text)")
            #expect(value.wallMilliseconds == reading["wall_milliseconds"] as? Int64)
            #expect(Int(value.counter) == reading["counter"] as? Int)
            #expect(String(value.packed) == reading["packed"] as? String)
            #expect(String(value.packed, radix: 16) == reading["packed_hex"] as? String)
            #expect(HLCTimestamp(packed: value.packed) == value)
        }
        for text in try #require(hlc["refused_texts"] as? [String]) {
            #expect(HLCTimestamp(text: text) == nil, "\(text) is refused")
        }
        let limit = try #require(hlc["maximum_forward_offset_milliseconds"] as? Int64)
        let steps = try #require(hlc["steps"] as? [[String: Any]])
        #expect(steps.count >= 10)
        for step in steps {
            let name = step["name"] as? String ?? "?"
            var clock = HybridLogicalClock(maximumForwardOffset: limit, last: try #require(HLCTimestamp(text: step["last"] as? String ?? "")))
            let physical = try #require(step["physical_milliseconds"] as? Int64)
            if let remote = (step["remote"] as? String).flatMap(HLCTimestamp.init(text:)) {
                let result = try? clock.update(remote: remote, physicalMilliseconds: physical)
                #expect(result?.description == step["result"] as? String, "\(name)")
                #expect((result == nil) == (step["refused"] as? Bool == true), "\(name)")
            } else {
                #expect(clock.now(physicalMilliseconds: physical).description == step["result"] as? String, "\(name)")
            }
        }
        let ascending = try #require(hlc["ascending"] as? [String]).compactMap(HLCTimestamp.init(text:))
        #expect(ascending.count == 5)
        #expect(ascending == ascending.sorted { $0.packed < $1.packed })
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

/// What the sync vectors mean, checked from the file alone (as a third party would): every
/// signature verifies with the listed keys, and the messages pass the checks the server runs.
@Suite("Sync protocol v1 vectors, checked for meaning")
struct SyncVectorMeaningTests {
    struct Keys {
        let byName: [String: SigningKey]

        init(_ document: [String: Any]) throws {
            let listed = try #require(document["keys"] as? [String: [String: String]])
            var byName: [String: SigningKey] = [:]
            for (name, entry) in listed {
                let seed = try #require(entry["seed_hex"].flatMap(Self.bytes))
                let key = try SigningKey(seed: seed)
                #expect(key.publicKey.rawRepresentation.map { String(format: "%02x", $0) }.joined() == entry["public_key_hex"])
                #expect(key.keyID.hex == entry["key_id"], "\(name)")
                byName[name] = key
            }
            self.byName = byName
        }

        subscript(name: String) -> SigningKey? { byName[name] }

        func signer(of id: KeyID) -> SigningKey? { byName.values.first { $0.keyID == id } }

        static func bytes(_ hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { return nil }
            return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) }
        }
    }

    static func message<T: Decodable>(_ type: T.Type) throws -> T {
        let cases = try #require(try SyncVectorTests.document()["cases"] as? [[String: Any]])
        let json = try #require(cases.first { $0["type"] as? String == "\(T.self)" }?["json"], "no \(T.self) case")
        return try SyncJSON.decoder.decode(T.self, from: JSONSerialization.data(withJSONObject: json))
    }

    /// Every ticket payload anywhere in the file.
    static func payloads(in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return (object["payload"] as? String).map { [$0] } ?? object.values.flatMap(payloads)
        }
        return (value as? [Any])?.flatMap(payloads) ?? []
    }

    @Test("Every ticket in the vectors is valid Base45, verifies with a listed key and re-signs to the same text")
    func ticketsResign() throws {
        let document = try SyncVectorTests.document()
        let keys = try Keys(document)
        let payloads = Self.payloads(in: document)
        #expect(!payloads.isEmpty)
        for payload in payloads {
            let ticket = try SignedTicket(text: payload)
            let key = try #require(keys.signer(of: ticket.keyID), "ticket signed by unlisted key \(ticket.keyID)")
            #expect(ticket.isSigned(by: key.publicKey))
            #expect(try SignedTicket.sign(ticket.claims, with: key).text == payload, "re-signing changes \(payload)")
        }
    }

    @Test("The trust bundles verify, and each door finds its own certificate by its device key id")
    func trustBundles() throws {
        let keys = try Keys(try SyncVectorTests.document())
        let snapshot = try Self.message(Snapshot.self)
        let page = try Self.message(PullPage.self)
        #expect(page.trust == snapshot.trust)
        let store = try snapshot.trust.trustStore()
        #expect(store.rejectedCertificates.isEmpty)
        #expect(store.issuerKeys.map(\.keyID) == [try #require(keys["issuer"]).keyID])
        for door in ["device_door_a", "device_door_b"] {
            let device = try #require(keys[door])
            let own = try #require(store.certificates.first { $0.deviceKeyID == device.keyID }, "\(door) has no certificate")
            #expect(own.claims.venueID == snapshot.node.venueID)
            #expect(own.claims.eventIDs == snapshot.events.map(\.id))
            #expect(own.issuerKeyID == keys["issuer"]?.keyID)
        }
        let enroll = try Self.message(EnrollRequest.self)
        let doorA = try #require(keys["device_door_a"])
        #expect(enroll.devicePublicKey == doorA.publicKey.rawRepresentation.base64EncodedString())
        let certificateA = try #require(store.certificates.first { $0.deviceKeyID == doorA.keyID })
        #expect(certificateA.claims.nodeID == snapshot.node.id)
    }

    @Test("The push passes the server's batch and sale checks, and its door-sold ticket admits at the door")
    func pushAsTheServerChecksIt() throws {
        let push = try Self.message(PushRequest.self)
        let snapshot = try Self.message(Snapshot.self)
        #expect(try push.checkBatch() == 3)
        #expect(push.nodeID == snapshot.node.id)
        let store = try snapshot.trust.trustStore()
        let own = try #require(store.certificates.first { $0.claims.nodeID == push.nodeID })
        let sales = push.mutations.compactMap { mutation -> SyncSale? in
            if case .sale(let sale) = mutation.body { return sale }
            return nil
        }
        let sale = try #require(sales.first)
        try sale.check(signedBy: own.claims.devicePublicKey)
        let event = try #require(snapshot.events.first { $0.id == sale.eventID })
        let type = try #require(snapshot.ticketTypes.first { $0.id == sale.ticketTypeID })
        #expect(sale.amountMinor == type.priceMinor * Int64(sale.quantity), "amount_minor is the total")
        #expect(sale.currency == type.currency)

        let ticket = try SignedTicket(text: sale.tickets[0].payload)
        #expect(ticket.claims == SyncSale.ticketClaims(
            ticketID: sale.tickets[0].id, eventID: event.id, ticketTypeID: type.id, eventEndsAt: event.endsAt,
            certificateNotAfter: own.claims.notAfter))
        let verifier = TicketVerifier(
            trust: store,
            gate: GatePolicy(gate: "A", venueID: snapshot.node.venueID, events: [
                EventAdmission(eventID: event.id, reentryPolicy: event.reentryPolicy)
            ]))
        let soldAt = Date(timeIntervalSince1970: Double(sale.hlc.wallMilliseconds) / 1000)
        let result = verifier.verify(sale.tickets[0].payload, at: soldAt, revocations: RevocationList(), scans: ScanLedger())
        #expect(result.verdict == .ok)
    }

    @Test("A sale whose ticket is not the node's signature is refused, as the old hand-written vector was")
    func forgedSaleRefused() throws {
        let push = try Self.message(PushRequest.self)
        let snapshot = try Self.message(Snapshot.self)
        let deviceKey = try #require(try snapshot.trust.trustStore().certificates.first { $0.claims.nodeID == push.nodeID })
            .claims.devicePublicKey
        guard case .sale(var sale) = push.mutations[1].body else {
            Issue.record("the second mutation is the sale")
            return
        }
        func refusal(_ sale: SyncSale) -> ErrorCode? {
            do {
                try sale.check(signedBy: deviceKey)
                return nil
            } catch {
                return error.code
            }
        }
        let signed = sale.tickets[0].payload
        #expect(refusal(sale) == nil)
        for payload in ["6BFOXN*TS0BI$ZDZRH-DXXP7", String(signed.dropLast()) + (signed.last == "0" ? "1" : "0")] {
            sale.tickets[0].payload = payload
            #expect(refusal(sale) == .invalidTicket, "\(payload)")
        }
        sale.tickets = [SyncSoldTicket(id: sale.tickets[0].id, payload: signed), SyncSoldTicket(id: sale.tickets[0].id, payload: signed)]
        #expect(refusal(sale) == .invalidSale)
        sale.tickets = [SyncSoldTicket(id: sale.tickets[0].id, payload: signed)]
        sale.currency = "eur"
        #expect(refusal(sale) == .invalidSale)
    }
}
