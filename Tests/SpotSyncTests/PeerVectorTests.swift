import Crypto
import Foundation
import SpotCore
import SpotSync
import Testing

/// `SyncProtocol/vectors/peer-v1.json`, read as a third party would: each signature verifies
/// over the text the spec says it covers, and every refusal fails.
@Suite("Peer protocol vectors")
struct PeerVectorTests {
    static func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SyncProtocol/vectors/peer-v1.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("The request and the answer verify over the documented texts; changed targets, times, nodes, bodies and requests do not")
    func signatures() throws {
        let file = try Self.document()
        let keys = try #require(file["keys"] as? [String: [String: String]])
        func key(_ name: String) throws -> Curve25519.Signing.PublicKey {
            let hex = keys[name]?["public_key_hex"] ?? ""
            return try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Data(hexString: hex)))
        }
        let nodes = try #require(file["nodes"] as? [String: String])
        let doorA = try #require(UUID(uuidString: nodes["door_a"] ?? ""))
        let doorB = try #require(UUID(uuidString: nodes["door_b"] ?? ""))
        let now = try #require(file["now"] as? Int64)
        let target = try #require(file["target"] as? String)
        let request = try #require(file["request"] as? [String: Any])
        let requestSignature = try #require(request["signature_base64"] as? String)
        let requestSigned = try #require(request["signed"] as? String)
        #expect(Array(requestSigned.utf8) == PeerProtocol.requestMessage(method: "GET", target: target, node: doorB, time: now))
        #expect(requestSigned == "hvflvspot-peer-v1 request\nGET\n\(target)\n\(doorB.lowercasedText)\n\(now)")
        let requestBytes = try #require(Data(base64Encoded: requestSignature))
        #expect(try key("device_door_b").isValidSignature(requestBytes, for: Data(requestSigned.utf8)))
        #expect(!(try key("device_door_a").isValidSignature(requestBytes, for: Data(requestSigned.utf8))), "request_other_node")
        #expect(!(try key("device_door_b").isValidSignature(
            requestBytes, for: PeerProtocol.requestMessage(method: "GET", target: "\(PeerProtocol.factsPath)?after=1&wait=25", node: doorB, time: now))),
            "request_other_target")
        #expect(60_001 > PeerProtocol.allowedClockSkewMilliseconds, "request_stale")

        let answer = try #require(file["answer"] as? [String: Any])
        let bodyText = try #require(file["answer_body"] as? String)
        let body = Data(bodyText.utf8)
        let answerSigned = try #require(answer["signed"] as? String)
        #expect(Array(answerSigned.utf8) == PeerProtocol.answerMessage(requestSignature: requestSignature, node: doorA, body: body))
        let digest = Data(SHA256.hash(data: body)).hexString
        #expect(answerSigned == "hvflvspot-peer-v1 answer\n\(requestSignature)\n\(doorA.lowercasedText)\n\(digest)")
        let answerBytes = try #require(Data(base64Encoded: answer["signature_base64"] as? String ?? ""))
        #expect(try key("device_door_a").isValidSignature(answerBytes, for: Data(answerSigned.utf8)))
        let changed = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "Door A", with: "Door X").utf8)
        #expect(!(try key("device_door_a").isValidSignature(
            answerBytes, for: PeerProtocol.answerMessage(requestSignature: requestSignature, node: doorA, body: changed))),
            "answer_other_body")
        #expect(!(try key("device_door_a").isValidSignature(
            answerBytes, for: PeerProtocol.answerMessage(requestSignature: "AAAA", node: doorA, body: body))),
            "answer_other_request")
        let page = try SyncJSON.decoder.decode(PeerFactsPage.self, from: body)
        #expect(page.nodeID == doorA && page.facts.count == 2 && page.cursor == page.facts.last?.mutationID)

        // Each fact verifies, with door A's key, over the documented text; its body reads as a mutation of door A.
        let factsSigned = try #require(file["facts_signed"] as? [String])
        #expect(factsSigned.count == page.facts.count)
        for (fact, signedText) in zip(page.facts, factsSigned) {
            #expect(signedText == "hvflvspot-fact-v1\n\(doorA.lowercasedText)\n\(fact.mutationID)\n\(fact.kind.rawValue)\n\(fact.body)")
            let signature = try #require(Data(base64Encoded: fact.signature))
            #expect(try key("device_door_a").isValidSignature(signature, for: Data(signedText.utf8)))
            #expect(!(try key("device_door_b").isValidSignature(signature, for: Data(signedText.utf8))))
            let mutation = try fact.mutation()
            #expect(mutation.kind == fact.kind && mutation.mutationID == fact.mutationID)
        }
        let release = try #require(page.facts.first { $0.kind == .release })
        let altered = release.body.replacingOccurrences(of: "\"quantity\":2", with: "\"quantity\":3")
        #expect(altered != release.body)
        #expect(!(try key("device_door_a").isValidSignature(
            try #require(Data(base64Encoded: release.signature)),
            for: SignedFact.message(node: doorA, mutationID: release.mutationID, kind: .release, body: altered))), "fact_other_body")

        // The relay carries the facts exactly as door A signed them.
        let relayData = try JSONSerialization.data(withJSONObject: try #require(file["relay_request"]))
        let relay = try SyncJSON.decoder.decode(RelayRequest.self, from: relayData)
        #expect(relay.nodeID == doorB && relay.facts == page.facts)
        try relay.check()
        let refusals = try #require(file["refusals"] as? [[String: String]]).compactMap { $0["name"] }
        #expect(refusals.count == 8)

        // The staff pass verifies with door A's key over the documented text, and expires 12 h later.
        let passText = try #require(file["staff_pass"] as? String)
        let passSigned = try #require(file["staff_pass_signed"] as? String)
        #expect(passSigned == "hvflvspot-staff-pass-v1\n" + (passText.split(separator: ".").first.map(String.init) ?? ""))
        let pass = try StaffPass.verify(passText, now: now / 1000) { $0 == doorA ? try key("device_door_a") : nil }
        #expect(pass.claims.nodeID == doorA && pass.claims.expiresAt - pass.claims.issuedAt == 12 * 3600)
        #expect(throws: StaffPass.Problem.expired) {
            try StaffPass.verify(passText, now: now / 1000 + 12 * 3600) { _ in try key("device_door_a") }
        }
        #expect(throws: StaffPass.Problem.badSignature) {
            try StaffPass.verify(passText, now: now / 1000) { _ in try key("device_door_b") }
        }
    }
}
