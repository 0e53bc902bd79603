import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import SpotSync
import Synchronization

/// The venue mesh's membership: follows every peer given with `--peer` and every peer it
/// followed before a restart (where it last answered), and — with protocol 2 — tells the server
/// where this node is reached on the LAN, keeps the venue's kiosk failover setting, and follows
/// each other active node of the venue the server lists (`POST /api/v1/sync/peers`), asking
/// again every minute, or at once when a node it does not follow yet reads its facts. Works
/// with no server at all.
struct PeerDirectory: Service {
    let database: NodeDatabase
    let client: SyncClient
    /// Peers given by hand (`--peer URL`).
    let staticPeers: [String]
    /// This node's base URLs on the LAN, told to the server.
    let advertise: [String]
    /// Trusted for a peer's HTTPS: the venue CA.
    let authority: NIOSSLCertificate?
    let followed: FollowedPeers
    let logger: Logger
    let now: @Sendable () -> Date

    static let interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for url in staticPeers {
                    group.addTask { try? await follower([url]).run() }
                }
                // A node restarted while the server is away still finds the peers it had.
                var known = Set<UUID>()
                for (node, url) in (try? database.followedPeers()) ?? [] where !staticPeers.contains(url) {
                    known.insert(node)
                    group.addTask { try? await follower([url]).run() }
                }
                followed.add(known)
                guard client.protocolVersion >= .livePull else {
                    // A service that returns ends the node: without discovery, it waits to be stopped.
                    try? await gracefulShutdown()
                    return
                }
                var reported = false
                while !Task.isCancelled {
                    let generation = followed.current
                    do {
                        let state = try database.syncState(now: now())
                        let answer = try await client.peers(PeersRequest(advertise: advertise), token: state.token)
                        try database.setVenueKioskFailover(answer.kioskFailover)
                        reported = false
                        for peer in answer.nodes where !peer.urls.isEmpty && !known.contains(peer.nodeID) {
                            // A peer given by hand is already followed at that address.
                            guard Set(peer.urls).isDisjoint(with: staticPeers) else { continue }
                            known.insert(peer.nodeID)
                            logger.info("found a peer through the server", metadata: [
                                "node": "\(peer.name)", "urls": "\(peer.urls.joined(separator: " "))",
                            ])
                            group.addTask { try? await follower(peer.urls).run() }
                        }
                        followed.add(known)
                    } catch {
                        if !reported, !SyncEngine.isCancellation(error) {
                            logger.notice("could not ask the server for the venue's nodes", metadata: ["error": "\(error)"])
                        }
                        reported = true
                    }
                    await followed.unknownPeerCalled(after: generation, within: Self.interval)
                }
            }
        }
    }

    private func follower(_ urls: [String]) -> PeerFollower {
        PeerFollower(
            database: database, urls: urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, authority: authority,
            logger: logger, now: now)
    }
}

/// The nodes the directory follows, and a wake-up for it when another certified node reads this
/// node's facts without being followed back (a node that just joined the venue).
final class FollowedPeers: Sendable {
    private let nodes = Mutex(Set<UUID>())
    private let calls = Generations()

    /// Nodes the directory follows (added to those it was told of).
    func add(_ followed: Set<UUID>) { nodes.withLock { $0.formUnion(followed) } }

    /// A certified peer read this node's facts: wakes the directory once if it does not follow it.
    func heard(from node: UUID) {
        if nodes.withLock({ $0.insert(node).inserted }) { calls.advance() }
    }

    /// The calls so far, to wait for the next with ``unknownPeerCalled(after:within:)``.
    var current: UInt64 { calls.current }

    /// Returns when an unfollowed peer called after `generation`, or after `timeout`.
    func unknownPeerCalled(after generation: UInt64, within timeout: Duration) async {
        _ = await calls.wait(after: generation, within: timeout)
    }
}
