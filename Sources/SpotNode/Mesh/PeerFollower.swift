import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import SpotCore
import SpotSync

/// Follows one peer of the venue (`spot node run --peer URL`, or found through the server by
/// ``PeerDirectory``): reads its facts with held
/// requests and records them here, so a ticket admitted at its door is `already_admitted` at
/// this one within a second — with the server unreachable — and its facts survive it (this node
/// relays what the server has not got). Its answers and each of its facts are believed only
/// when signed by a node certified for this venue. After a failure it retries after 1 s,
/// doubling up to 10 s.
struct PeerFollower: Service {
    let database: NodeDatabase
    /// The peer's base URLs (`https://door-b.local:8443`): the first, and after a failure the next.
    let urls: [String]
    /// Trusted for a peer's HTTPS: the venue CA (nil: the system's).
    let authority: NIOSSLCertificate?
    let logger: Logger
    let now: @Sendable () -> Date

    static let maximumBackoff: Duration = .seconds(10)

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3), read: .seconds(Int64(PeerProtocol.waitSeconds.upperBound) + 10))
        configuration.redirectConfiguration = .disallow
        if let authority {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates([authority])
            configuration.tlsConfiguration = tls
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .seconds(1)
            var node: UUID?
            var reported = false
            var attempt = 0
            while !Task.isCancelled {
                let peer = urls[attempt % urls.count]
                do {
                    let cursor = try node.map { try database.peerCursor($0) } ?? 0
                    let (page, key) = try await read(
                        peer, after: cursor, wait: node == nil ? 0 : PeerProtocol.waitSeconds.upperBound, client: client)
                    let recorded = try database.applyPeerFacts(page, key: key, from: peer, now: now())
                    if node == nil || reported {
                        logger.info("following a peer", metadata: ["peer": "\(peer)", "node": "\(page.nodeName)"])
                    }
                    node = page.nodeID
                    reported = false
                    backoff = .seconds(1)
                    if recorded > 0 { logger.debug("peer scans", metadata: ["peer": "\(page.nodeName)", "recorded": "\(recorded)"]) }
                } catch {
                    if Task.isCancelled { return }
                    if let node { try? database.peerFailing(node, now: now()) }
                    if !reported { logger.warning("peer unreachable or refused", metadata: ["peer": "\(peer)", "error": "\(error)"]) }
                    reported = true
                    attempt &+= 1
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, Self.maximumBackoff)
                }
            }
        }
        try? await client.shutdown()
    }

    /// One signed request for the peer's facts after `cursor`, its answer checked; with the
    /// peer's certified device key, to check each fact.
    private func read(_ peer: String, after cursor: Int64, wait: Int, client: HTTPClient) async throws -> (PeerFactsPage, Curve25519.Signing.PublicKey) {
        let identity = try database.peerIdentity()
        let target = "\(PeerProtocol.factsPath)?after=\(cursor)&wait=\(wait)"
        let headers = try PeerSignature.requestHeaders(
            method: "GET", target: target, identity: identity, time: Int64((now().timeIntervalSince1970 * 1000).rounded(.down)))
        var request = HTTPClientRequest(url: peer + target)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(Int64(wait) + 10))
        let body = Data(buffer: try await response.body.collect(upTo: 8 * 1024 * 1024))
        if (300..<400).contains(response.status.code), let location = response.headers.first(name: "Location") {
            throw PeerError.invalidPage("the peer serves HTTPS: follow it at its https:// address (it redirects to \(location.prefix(100)))")
        }
        guard response.status == .ok else {
            throw PeerError.invalidPage("HTTP \(response.status.code): \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        // The key the answer verified with is the one each fact must verify with too.
        var senderKey: Curve25519.Signing.PublicKey?
        let sender = try PeerSignature.checkAnswer(
            requestSignature: headers.first { $0.0 == PeerProtocol.Header.signature }?.1 ?? "",
            node: response.headers.first(name: PeerProtocol.Header.node),
            signature: response.headers.first(name: PeerProtocol.Header.signature), body: body,
            key: { node in
                senderKey = try database.peerKey(node, now: now())
                return senderKey
            })
        guard sender != identity.nodeID else { throw PeerError.invalidPage("the peer URL is this node itself") }
        let page: PeerFactsPage
        do {
            page = try SyncJSON.decoder.decode(PeerFactsPage.self, from: body)
        } catch {
            throw PeerError.invalidPage("\(error)")
        }
        guard page.nodeID == sender, let key = senderKey else { throw PeerError.invalidPage("signed by one node, about another") }
        return (page, key)
    }
}
