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
        #expect(page.nodeID == doorA && page.scans.allSatisfy { $0.nodeID == doorA } && !page.scans.isEmpty)
        let last = try #require(page.scans.last)
        #expect(page.cursor == String(Int64(bitPattern: last.hlc.packed)))
        let refusals = try #require(file["refusals"] as? [[String: String]]).compactMap { $0["name"] }
        #expect(refusals.count == 6)
    }
}
