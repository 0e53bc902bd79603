import Crypto
import Foundation
import SpotCore

/// Peer protocol v1 (`SyncProtocol/peer-v1.md`): the nodes of one venue read each other's
/// scans on the LAN, so a ticket admitted at one door is `already_admitted` at the next with
/// the internet down. Every request and every answer is signed with the sender's device key;
/// a node believes only a node whose device certificate for the same venue it holds.
public enum PeerProtocol {
    public static let version = 1
    /// `GET` with `after` (a cursor from the last page, `0` at first) and `wait` (seconds).
    public static let factsPath = "/peer/v1/facts"
    /// The longest a peer holds a request that has nothing new.
    public static let waitSeconds = 0...25
    /// Scans per page.
    public static let pageSize = 500
    /// How far a request's time may be from the receiver's clock.
    public static let allowedClockSkewMilliseconds: Int64 = 60_000

    /// Request and answer headers.
    public enum Header {
        /// The sender's node id.
        public static let node = "Spot-Peer-Node"
        /// The request's time, Unix milliseconds.
        public static let time = "Spot-Peer-Time"
        /// Base64 of the Ed25519 signature.
        public static let signature = "Spot-Peer-Signature"
    }

    /// What a request's signature covers: method, target (path and query), sender and time.
    public static func requestMessage(method: String, target: String, node: UUID, time: Int64) -> [UInt8] {
        Array("hvflvspot-peer-v1 request\n\(method)\n\(target)\n\(node.lowercasedText)\n\(time)".utf8)
    }

    /// What an answer's signature covers: the request's signature (so an old answer cannot be
    /// replayed for a new request), the answering node, and the SHA-256 of the body.
    public static func answerMessage(requestSignature: String, node: UUID, body: some DataProtocol) -> [UInt8] {
        let digest = Data(SHA256.hash(data: body)).hexString
        return Array("hvflvspot-peer-v1 answer\n\(requestSignature)\n\(node.lowercasedText)\n\(digest)".utf8)
    }
}

/// A page of one node's own scans, oldest first, after the request's cursor.
public struct PeerFactsPage: Codable, Sendable, Equatable {
    @LowercaseUUID public var nodeID: UUID
    /// The node's name, to tell staff where a ticket was admitted.
    public var nodeName: String
    /// Scans this node made (every one carries its `node_id`).
    public var scans: [SyncScan]
    /// Where the next request continues: the HLC of the last scan, packed, in decimal.
    public var cursor: String
    /// More scans are ready at once.
    public var hasMore: Bool

    public init(nodeID: UUID, nodeName: String, scans: [SyncScan], cursor: String, hasMore: Bool) {
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.scans = scans
        self.cursor = cursor
        self.hasMore = hasMore
    }
}
