import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SpotCore
import SpotSync

/// `GET /peer/v1/facts?after=CURSOR&wait=SECONDS` (`SyncProtocol/peer-v1.md` §4): this node's
/// own facts (scans, door sales, releases) after the cursor, each signed, for a certified node
/// of the same venue only; held up to `wait` seconds until this node records one; the answer
/// signed with this node's device key.
struct PeerController: Sendable {
    let database: NodeDatabase
    /// Facts this node recorded (``NodeController`` advances it).
    let recorded: Generations
    /// Told of each certified node that reads this one, so the mesh is followed both ways.
    let followed: FollowedPeers
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get(RouterPath(PeerProtocol.factsPath), use: facts)
    }

    @Sendable func facts(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let signature = request.headers[HTTPField.Name(PeerProtocol.Header.signature)!]
        do {
            let sender = try PeerSignature.checkRequest(
                method: "GET", target: request.uri.description, node: request.headers[HTTPField.Name(PeerProtocol.Header.node)!],
                time: request.headers[HTTPField.Name(PeerProtocol.Header.time)!], signature: signature,
                now: Int64((now().timeIntervalSince1970 * 1000).rounded(.down)),
                key: { try database.peerKey($0, now: now()) })
            followed.heard(from: sender)
        } catch let error as PeerError {
            switch error {
            case .unknownPeer: throw NodeAPIError(.forbidden, code: .forbidden, message: error.description)
            default: throw NodeAPIError(.unauthorized, code: .unauthorized, message: error.description)
            }
        }
        let query = request.uri.queryParameters
        guard let after = query.get("after").flatMap(Int64.init), FieldLimits.factCursor.contains(after) else {
            throw NodeAPIError.validation("after must be a cursor from a page, or 0")
        }
        let wait = query.get("wait").map { Int($0) } ?? 0
        guard let wait, PeerProtocol.waitSeconds.contains(wait) else {
            throw NodeAPIError.validation("wait must be \(PeerProtocol.waitSeconds.lowerBound) to \(PeerProtocol.waitSeconds.upperBound) seconds")
        }
        let generation = recorded.current
        var read = try database.ownFacts(after: after, limit: PeerProtocol.pageSize)
        if read.facts.isEmpty, wait > 0 {
            // A node that is stopping answers at once rather than hold its shutdown up to `wait`.
            _ = await cancelWhenGracefulShutdown { await recorded.wait(after: generation, within: .seconds(wait)) }
            read = try database.ownFacts(after: after, limit: PeerProtocol.pageSize)
        }
        let page = PeerFactsPage(
            nodeID: read.identity.nodeID, nodeName: read.identity.name, facts: read.facts,
            cursor: read.facts.last?.mutationID ?? after, hasMore: read.hasMore, acknowledgedThrough: read.acknowledgedThrough)
        let body = try SyncJSON.encoder.encode(page)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        headers[HTTPField.Name(PeerProtocol.Header.node)!] = read.identity.nodeID.lowercasedText
        headers[HTTPField.Name(PeerProtocol.Header.signature)!] = try PeerSignature.answerSignature(
            requestSignature: signature ?? "", body: body, identity: read.identity)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
