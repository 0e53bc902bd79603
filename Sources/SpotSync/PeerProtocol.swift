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
    /// Facts per page.
    public static let pageSize = 500
    /// How long a node waits, after it received a peer's fact, before it relays it to the
    /// server unless the peer says the server has it (`peer-v1.md` §6).
    public static let relayAfterSeconds = 30
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

/// One fact a node made — a scan, a door sale or a release — exactly as it queued it for the
/// server (`body`, the mutation's JSON text), signed by its device key (`peer-v1.md` §3.1).
/// Peers keep it as received and a peer may relay it to the server, which verifies it with the
/// origin's device key and applies it once under the origin's identity (`sync-v2.md` §6.4).
public struct SignedFact: Codable, Sendable, Equatable {
    /// The node that made the fact (its origin).
    @LowercaseUUID public var nodeID: UUID
    /// The origin's mutation id: increasing, never reused.
    @InRange<Bounds.MutationID> public var mutationID: Int64
    public var kind: SyncMutation.Kind
    /// The mutation's JSON text (a `SyncScan`, `SyncSale` or `SyncRelease`), byte for byte as signed.
    public var body: String
    /// Base64 of the Ed25519 signature over ``message(node:mutationID:kind:body:)``.
    public var signature: String

    public init(nodeID: UUID, mutationID: Int64, kind: SyncMutation.Kind, body: String, signature: String) {
        self.nodeID = nodeID
        self.mutationID = mutationID
        self.kind = kind
        self.body = body
        self.signature = signature
    }

    /// What a fact's signature covers.
    public static func message(node: UUID, mutationID: Int64, kind: SyncMutation.Kind, body: String) -> [UInt8] {
        Array("hvflvspot-fact-v1\n\(node.lowercasedText)\n\(mutationID)\n\(kind.rawValue)\n\(body)".utf8)
    }

    /// Signs `body` as `node`'s fact `mutationID` with its device key.
    public static func sign(
        node: UUID, mutationID: Int64, kind: SyncMutation.Kind, body: String, key: Curve25519.Signing.PrivateKey
    ) throws -> SignedFact {
        let signature = try key.signature(for: message(node: node, mutationID: mutationID, kind: kind, body: body))
        return SignedFact(nodeID: node, mutationID: mutationID, kind: kind, body: body, signature: signature.base64EncodedString())
    }

    /// Whether the signature verifies with the origin's device key `key`.
    public func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        guard let bytes = Data(base64Encoded: signature) else { return false }
        return key.isValidSignature(bytes, for: Self.message(node: nodeID, mutationID: mutationID, kind: kind, body: body))
    }

    /// The mutation the body holds, read as the server reads a push; a scan or sale naming
    /// another node than the fact's origin is refused.
    public func mutation() throws(FactProblem) -> SyncMutation {
        let data = Data(body.utf8)
        let decoded: SyncMutation.Body
        do {
            switch kind {
            case .scan: decoded = .scan(try SyncJSON.decoder.decode(SyncScan.self, from: data))
            case .sale: decoded = .sale(try SyncJSON.decoder.decode(SyncSale.self, from: data))
            case .release: decoded = .release(try SyncJSON.decoder.decode(SyncRelease.self, from: data))
            }
        } catch let error as DecodingError {
            throw .unreadable("the \(kind.rawValue) cannot be read: \(DecodingProblem(error))")
        } catch {
            throw .unreadable("the \(kind.rawValue) cannot be read: \(error)")
        }
        switch decoded {
        case .scan(let scan) where scan.nodeID != nodeID: throw .wrongNode
        case .sale(let sale) where sale.nodeID != nodeID: throw .wrongNode
        default: return SyncMutation(mutationID: mutationID, body: decoded)
        }
    }
}

/// Why a ``SignedFact`` cannot be taken.
public enum FactProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case wrongNode

    public var description: String {
        switch self {
        case .unreadable(let what): what
        case .wrongNode: "the fact names another node than the one that signed it"
        }
    }
}

/// A page of one node's own facts, oldest first, after the request's cursor (`peer-v1.md` §4).
public struct PeerFactsPage: Codable, Sendable, Equatable {
    @LowercaseUUID public var nodeID: UUID
    /// The node's name, to tell staff where a ticket was admitted.
    public var nodeName: String
    /// Facts this node made, each signed by it.
    public var facts: [SignedFact]
    /// Where the next request continues: the last fact's mutation id (the request's `after` when none).
    @InRange<Bounds.FactCursor> public var cursor: Int64
    /// More facts are ready at once.
    public var hasMore: Bool
    /// Every fact of this node up to this mutation id has been answered by the server: a peer
    /// need not relay them.
    @InRange<Bounds.FactCursor> public var acknowledgedThrough: Int64

    public init(nodeID: UUID, nodeName: String, facts: [SignedFact], cursor: Int64, hasMore: Bool, acknowledgedThrough: Int64) {
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.facts = facts
        self.cursor = cursor
        self.hasMore = hasMore
        self.acknowledgedThrough = acknowledgedThrough
    }
}

/// A staff member's pass for the venue's doors (`peer-v1.md` §7): issued by the node they
/// signed in at with its PIN, signed by that node's device key, and accepted by any node that
/// believes the issuer — so staff sign in once per shift, and a kiosk whose node died carries
/// on at a peer. Text: `base64url(claims JSON) "." base64url(signature)`, the signature over
/// `hvflvspot-staff-pass-v1\n` followed by the claims' base64url text.
public struct StaffPass: Sendable, Equatable {
    public struct Claims: Codable, Sendable, Equatable {
        /// The node that checked the PIN.
        @LowercaseUUID public var nodeID: UUID
        /// Unix seconds.
        public var issuedAt: Int64
        public var expiresAt: Int64
    }

    /// The longest a pass is valid: a shift, as a session's longest life.
    public static let maximumLifetimeSeconds: Int64 = 12 * 3600
    /// The most text a pass may be (claims and signature are far smaller).
    public static let maximumLength = 1024

    public let claims: Claims
    public let text: String

    static func message(_ encodedClaims: Substring) -> [UInt8] { Array("hvflvspot-staff-pass-v1\n\(encodedClaims)".utf8) }

    /// A pass from `node`, valid from `issuedAt` for a shift.
    public static func issue(node: UUID, issuedAt: Int64, key: Curve25519.Signing.PrivateKey) throws -> StaffPass {
        let claims = Claims(nodeID: node, issuedAt: issuedAt, expiresAt: issuedAt + maximumLifetimeSeconds)
        let encoded = Data(try SyncJSON.encoder.encode(claims)).base64URLText
        let signature = try key.signature(for: message(Substring(encoded)))
        return StaffPass(claims: claims, text: encoded + "." + Data(signature).base64URLText)
    }

    /// Why a pass is not accepted.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case unreadable
        case unknownIssuer(UUID)
        case badSignature
        case expired
        case notYetValid

        public var description: String {
            switch self {
            case .unreadable: "the staff pass cannot be read"
            case .unknownIssuer: "the staff pass is from a node this one does not believe (not a certified node of this venue)"
            case .badSignature: "the staff pass's signature does not verify"
            case .expired: "the staff pass has expired: sign in with the PIN"
            case .notYetValid: "the staff pass is not valid yet (is this node's clock right?)"
            }
        }
    }

    /// Reads and checks a pass: `key` finds the issuer's certified device key (nil: not believed),
    /// `now` in Unix seconds; a pass may be issued up to `PeerProtocol.allowedClockSkewMilliseconds` ahead.
    public static func verify(
        _ text: String, now: Int64, key: (UUID) throws -> Curve25519.Signing.PublicKey?
    ) throws -> StaffPass {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= maximumLength, parts.count == 2, let claimsData = Data(base64URLText: parts[0]),
            let signature = Data(base64URLText: parts[1]),
            let claims = try? SyncJSON.decoder.decode(Claims.self, from: claimsData)
        else { throw Problem.unreadable }
        guard let publicKey = try key(claims.nodeID) else { throw Problem.unknownIssuer(claims.nodeID) }
        guard publicKey.isValidSignature(signature, for: message(parts[0])) else { throw Problem.badSignature }
        let skew = PeerProtocol.allowedClockSkewMilliseconds / 1000
        guard claims.issuedAt <= now.addingReportingOverflow(skew).partialValue else { throw Problem.notYetValid }
        let (lifetime, overflow) = claims.expiresAt.subtractingReportingOverflow(claims.issuedAt)
        guard claims.expiresAt > now, !overflow, lifetime <= maximumLifetimeSeconds else { throw Problem.expired }
        return StaffPass(claims: claims, text: text)
    }
}
