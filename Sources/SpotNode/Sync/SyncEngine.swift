import Foundation
import Logging
import SpotCore
import SpotSync
import Synchronization

/// One sync of a node with its server (`SyncProtocol/README.md` §4): push the outbox in
/// batches, relay the peers' facts the server may not have (protocol 2), then bootstrap from a
/// snapshot if the node has no cursor (or the server no longer knows it), then pull pages until
/// the feed is drained. Each step commits on its
/// own, so an interruption anywhere is resumed by the next sync.
public struct SyncEngine: Sendable {
    public let database: NodeDatabase
    public let client: SyncClient
    public var pushBatchSize = 500
    public var pageSize = 1000
    /// A peer's fact is relayed once it has been held this long without the peer saying the
    /// server has it (``PeerProtocol/relayAfterSeconds``).
    public var relayAfter: TimeInterval = TimeInterval(PeerProtocol.relayAfterSeconds)
    let now: @Sendable () -> Date
    /// The `state_digest` of the last page applied: a v2 server holds a pull only while it is current.
    private let stateDigest = LastStateDigest()

    public init(database: NodeDatabase, client: SyncClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.client = client
        self.now = now
    }

    /// What one sync did.
    public struct Report: Sendable, Equatable {
        public var pushed = NodeDatabase.Acknowledgement()
        /// Peers' facts the server answered for.
        public var relayed = 0
        public var bootstrapped = false
        public var snapshotTickets = 0
        public var pages = 0
        public var changes = 0
    }

    /// Progress of a sync, for a progress bar: what it is doing, and how far.
    public enum Progress: Sendable {
        case pushing(done: Int, total: Int)
        case bootstrapping
        case bootstrapped(tickets: Int)
        case pulled(changes: Int)
    }

    /// Runs one sync; the outcome is also recorded for `status` (a node that is stopping records nothing).
    public func sync(progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Report {
        try await recorded { try await run(progress: progress) }
    }

    /// Protocol 2's live pull: asks the server to hold one pull open for up to `waitSeconds`
    /// and applies what the venue's feed brings (draining further pages at once). The node
    /// counts as online as soon as the server answers; silence beyond ``LivePull/silenceLimit``
    /// fails the pull. Returns the changes applied, or nil when the node needs ``sync(progress:)``
    /// first (it has no cursor, or the server no longer knows it).
    public func follow(waitSeconds: Int) async throws -> Int? {
        try await recorded { () async throws -> Int? in
            var changes = 0
            var wait: Int? = waitSeconds
            while true {
                let state = try database.syncState(now: now())
                guard let cursor = state.cursor else { return nil }
                let page: PullPage
                do {
                    page = try await client.pull(
                        pullRequest(cursor: cursor, clock: state.clock, wait: wait), token: state.token,
                        reached: { try? database.recordSyncAttempt(error: nil, now: now()) })
                } catch let error as SyncClientError where Self.cursorLost(error) {
                    try database.resetCursor()
                    return nil
                }
                changes += try database.applyPage(page, expectedCursor: cursor, now: now()).changes
                stateDigest.set(page.stateDigest)
                if !page.hasMore { return changes }
                wait = nil
            }
        }
    }

    /// Records how an attempt ended for `status`; a cancelled attempt (the node is stopping,
    /// or a staff action interrupted a held pull) is no failure of the server's.
    private func recorded<Result>(_ attempt: () async throws -> Result) async throws -> Result {
        do {
            let result = try await attempt()
            try database.recordSyncAttempt(error: nil, now: now())
            return result
        } catch {
            if !Self.isCancellation(error) {
                try? database.recordSyncAttempt(error: String(describing: error), now: now())
            }
            throw error
        }
    }

    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if case .cancelled? = error as? SyncClientError { return true }
        return false
    }

    private static func cursorLost(_ error: SyncClientError) -> Bool {
        [ErrorCode.cursorInvalid.rawValue, ErrorCode.cursorExpired.rawValue].contains(error.code)
    }

    private func pullRequest(cursor: String, clock: SyncClockReading, wait: Int?) throws -> PullRequest {
        var request = PullRequest(
            protocolVersion: client.protocolVersion.rawValue, cursor: cursor, limit: pageSize, clock: clock,
            outboxDepth: try database.outboxDepth())
        if client.protocolVersion >= .livePull {
            request.waitSeconds = wait
            request.stateDigest = stateDigest.value
        }
        return request
    }

    /// What to do when a push or a relay is refused whole because of what it carries, so that one
    /// bad item never stalls the outbox or the relay (sync-v2.md §6.2, §6.4).
    enum Refusal: Equatable {
        /// Too large: send fewer at a time.
        case split
        /// The server named the item at this index (or it alone is too large): set it aside.
        case setAside(Int, SyncErrorDetail)
    }

    /// `count` items were sent under `field` (`mutations`, `facts`).
    static func refusal(_ error: SyncClientError, items count: Int, field: String) -> Refusal? {
        guard case .server(let status, let detail) = error else { return nil }
        switch detail.knownCode {
        case .payloadTooLarge where status == 413:
            return count > 1 ? .split : count == 1 ? .setAside(0, detail) : nil
        case .validationFailed where status == 422:
            // The field names its item: `mutations[3].scan.gate`.
            let prefix = field + "["
            for name in (detail.fields ?? [:]).keys.sorted() {
                guard name.hasPrefix(prefix), let close = name.firstIndex(of: "]"),
                    let index = Int(name[name.index(name.startIndex, offsetBy: prefix.count)..<close]), (0..<count).contains(index)
                else { continue }
                return .setAside(index, detail)
            }
            return nil
        default:
            return nil
        }
    }

    /// Whether peers' facts wait to be relayed.
    public func relayDue() throws -> Bool {
        guard client.protocolVersion >= .livePull else { return false }
        return !(try database.factsToRelay(receivedBefore: relayCutoff, limit: 1).isEmpty)
    }

    private var relayCutoff: Date { now().addingTimeInterval(-relayAfter) }

    /// Relays the peers' facts held longer than ``relayAfter`` in batches; each answered fact
    /// is dropped, whatever the answer (sync-v2.md §6.4).
    /// A batch the server finds too large (413) is halved; a fact it alone refuses (413, or a 422
    /// naming it) is dropped, as it could never be relayed.
    private func relay(_ identity: NodeIdentity) async throws -> Int {
        var answered = 0
        var limit = FieldLimits.factsPerRelay.upperBound
        while true {
            let facts = try database.factsToRelay(receivedBefore: relayCutoff, limit: limit)
            guard !facts.isEmpty else { return answered }
            let state = try database.syncState(now: now())
            let response: RelayResponse
            do {
                response = try await client.relay(
                    RelayRequest(
                        protocolVersion: client.protocolVersion.rawValue, nodeID: identity.nodeID, clock: state.clock, facts: facts),
                    token: state.token)
            } catch {
                switch Self.refusal(error, items: facts.count, field: "facts") {
                case .split:
                    limit = max(1, facts.count / 2)
                    continue
                case .setAside(let index, let detail):
                    // It could never be relayed: dropped, as a rejected fact is.
                    let fact = facts[index]
                    response = RelayResponse(
                        protocolVersion: client.protocolVersion.rawValue, serverTime: state.clock.hlc,
                        results: [RelayResult(nodeID: fact.nodeID, mutationID: fact.mutationID, status: .rejected, error: detail)])
                case nil:
                    throw error
                }
            }
            let dropped = try database.relayed(response)
            answered += dropped
            guard dropped > 0 else { return answered }
        }
    }

    private func run(progress: @Sendable (Progress) -> Void) async throws -> Report {
        var report = Report()
        let identity = try database.identity()
        let version = client.protocolVersion.rawValue
        // Push.
        let total = try database.outboxDepth()
        var done = 0
        var batchSize = pushBatchSize
        while true {
            let batch = try database.pendingMutations(limit: batchSize)
            guard !batch.isEmpty else { break }
            let state = try database.syncState(now: now())
            let response: PushResponse
            do {
                response = try await client.push(
                    PushRequest(protocolVersion: version, nodeID: identity.nodeID, clock: state.clock, mutations: batch),
                    token: state.token)
            } catch {
                switch Self.refusal(error, items: batch.count, field: "mutations") {
                case .split:
                    batchSize = max(1, batch.count / 2)
                case .setAside(let index, let detail):
                    try database.setAside(mutationID: batch[index].mutationID, error: detail, now: now())
                    report.pushed.rejected += 1
                case nil:
                    throw error
                }
                continue
            }
            let tally = try database.acknowledge(response, now: now())
            report.pushed.applied += tally.applied
            report.pushed.duplicates += tally.duplicates
            report.pushed.conflicts += tally.conflicts
            report.pushed.rejected += tally.rejected
            done += batch.count
            progress(.pushing(done: min(done, max(total, done)), total: max(total, done)))
            guard tally.applied + tally.duplicates + tally.conflicts + tally.rejected > 0 else { break }
        }
        if client.protocolVersion >= .livePull { report.relayed = try await relay(identity) }
        // Bootstrap when needed, then follow the feed.
        while true {
            let state = try database.syncState(now: now())
            guard let cursor = state.cursor else {
                progress(.bootstrapping)
                let snapshot = try await client.snapshot(
                    SnapshotRequest(protocolVersion: version, clock: state.clock), token: state.token)
                try database.applySnapshot(snapshot, now: now())
                stateDigest.set(nil)
                report.bootstrapped = true
                report.snapshotTickets = snapshot.tickets.count
                progress(.bootstrapped(tickets: snapshot.tickets.count))
                continue
            }
            let page: PullPage
            do {
                page = try await client.pull(pullRequest(cursor: cursor, clock: state.clock, wait: nil), token: state.token)
            } catch let error as SyncClientError where Self.cursorLost(error) {
                try database.resetCursor()
                continue
            }
            let outcome = try database.applyPage(page, expectedCursor: cursor, now: now())
            stateDigest.set(page.stateDigest)
            report.pages += 1
            report.changes += outcome.changes
            progress(.pulled(changes: report.changes))
            if !page.hasMore { break }
        }
        return report
    }
}

/// The last `state_digest` a node received, shared by the copies of its ``SyncEngine``.
final class LastStateDigest: Sendable {
    private let digest = Mutex<String?>(nil)

    var value: String? { digest.withLock { $0 } }

    func set(_ value: String?) { digest.withLock { $0 = value } }
}
