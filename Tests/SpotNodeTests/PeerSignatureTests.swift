import Crypto
import Foundation
import SpotCore
import SpotSync
import Testing

@testable import SpotNode

/// Peer protocol v1's signatures, without I/O: who may read a door's scans, and whether an
/// answer is the peer's own and for this request.
@Suite("Peer signatures")
struct PeerSignatureTests {
    let doorA = NodeIdentity(
        nodeID: UUID(), name: "Door A", venueID: UUID(), venueName: "Hall", organizerID: UUID(), serverURL: "http://s",
        deviceKey: SigningKey())
    let doorB = NodeIdentity(
        nodeID: UUID(), name: "Door B", venueID: UUID(), venueName: "Hall", organizerID: UUID(), serverURL: "http://s",
        deviceKey: SigningKey())
    let now: Int64 = 1_796_000_000_000
    let target = "/peer/v1/facts?after=0&wait=25"

    func keys(_ identities: NodeIdentity...) -> (UUID) -> Curve25519.Signing.PublicKey? {
        { node in identities.first { $0.nodeID == node }?.deviceKey.publicKey }
    }

    func check(_ headers: [(String, String)], target: String? = nil, at time: Int64? = nil, known: [NodeIdentity]) throws -> UUID {
        let value = { (name: String) in headers.first { $0.0 == name }?.1 }
        return try PeerSignature.checkRequest(
            method: "GET", target: target ?? self.target, node: value(PeerProtocol.Header.node), time: value(PeerProtocol.Header.time),
            signature: value(PeerProtocol.Header.signature), now: time ?? now,
            key: { node in known.first { $0.nodeID == node }?.deviceKey.publicKey })
    }

    @Test("A request signed by a certified door is believed; another target, time or key, or a stranger, is not")
    func requests() throws {
        let headers = try PeerSignature.requestHeaders(method: "GET", target: target, identity: doorB, time: now)
        #expect(try check(headers, known: [doorA, doorB]) == doorB.nodeID)
        #expect(try check(headers, at: now + 60_000, known: [doorB]) == doorB.nodeID, "60 s of skew is allowed")
        #expect(throws: PeerError.staleTime) { try check(headers, at: now + 60_001, known: [doorB]) }
        #expect(throws: PeerError.staleTime) { try check(headers, at: .min, known: [doorB]) }
        #expect(throws: PeerError.badSignature) { try check(headers, target: "/peer/v1/facts?after=9&wait=25", known: [doorB]) }
        #expect(throws: PeerError.unknownPeer(doorB.nodeID)) { try check(headers, known: [doorA]) }
        var forged = headers
        forged[0] = (PeerProtocol.Header.node, doorA.nodeID.lowercasedText)
        #expect(throws: PeerError.badSignature) { try check(forged, known: [doorA, doorB]) }
        #expect(throws: PeerError.unsigned) { try check(Array(headers.prefix(2)), known: [doorB]) }
        var garbage = headers
        garbage[1] = (PeerProtocol.Header.time, "9223372036854775808")
        #expect(throws: PeerError.unsigned) { try check(garbage, known: [doorB]) }
        garbage = headers
        garbage[1] = (PeerProtocol.Header.time, String(Int64.min))
        #expect(throws: PeerError.staleTime) { try check(garbage, known: [doorB]) }
    }

    @Test("An answer is believed only from a certified door, for this request, with this body")
    func answers() throws {
        let request = try PeerSignature.requestHeaders(method: "GET", target: target, identity: doorB, time: now)[2].1
        let body = Data(#"{"node_id":"x"}"#.utf8)
        let signature = try PeerSignature.answerSignature(requestSignature: request, body: body, identity: doorA)
        func check(_ body: Data, request: String, node: UUID = doorA.nodeID, signature: String) throws -> UUID {
            try PeerSignature.checkAnswer(
                requestSignature: request, node: node.lowercasedText, signature: signature, body: body, key: keys(doorA, doorB))
        }
        #expect(try check(body, request: request, signature: signature) == doorA.nodeID)
        #expect(throws: PeerError.badSignature) { try check(Data(#"{"node_id":"y"}"#.utf8), request: request, signature: signature) }
        let older = try PeerSignature.requestHeaders(method: "GET", target: target, identity: doorB, time: now - 1)[2].1
        #expect(throws: PeerError.badSignature, "an old answer replayed for a new request") {
            try check(body, request: older, signature: signature)
        }
        #expect(throws: PeerError.badSignature, "door B's name on door A's answer") {
            try check(body, request: request, node: doorB.nodeID, signature: signature)
        }
        #expect(throws: PeerError.unknownPeer(doorA.nodeID)) {
            try PeerSignature.checkAnswer(
                requestSignature: request, node: doorA.nodeID.lowercasedText, signature: signature, body: body, key: keys(doorB))
        }
    }
}
