import Foundation
import Logging
import SpotCore
import SpotSync

/// One sync of a node with its server (`SyncProtocol/README.md` §4): push the outbox in
/// batches, then bootstrap from a snapshot if the node has no cursor (or the server no
/// longer knows it), then pull pages until the feed is drained. Each step commits on its
/// own, so an interruption anywhere is resumed by the next sync.
public struct SyncEngine: Sendable {
    public let database: NodeDatabase
    public let client: SyncClient
    public var pushBatchSize = 500
    public var pageSize = 1000
    let now: @Sendable () -> Date

    public init(database: NodeDatabase, client: SyncClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.client = client
        self.now = now
    }

    /// What one sync did.
    public struct Report: Sendable, Equatable {
        public var pushed = NodeDatabase.Acknowledgement()
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

    /// Runs one sync; the outcome is also recorded for `status`.
    public func sync(progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Report {
        do {
            let report = try await run(progress: progress)
            try database.recordSyncAttempt(error: nil, now: now())
            return report
        } catch {
            try? database.recordSyncAttempt(error: String(describing: error), now: now())
            throw error
        }
    }

    private func run(progress: @Sendable (Progress) -> Void) async throws -> Report {
        var report = Report()
        let identity = try database.identity()
        // Push.
        let total = try database.outboxDepth()
        var done = 0
        while true {
            let batch = try database.pendingMutations(limit: pushBatchSize)
            guard !batch.isEmpty else { break }
            let state = try database.syncState(now: now())
            let response = try await client.push(
                PushRequest(nodeID: identity.nodeID, clock: state.clock, mutations: batch), token: state.token)
            let tally = try database.acknowledge(response, now: now())
            report.pushed.applied += tally.applied
            report.pushed.duplicates += tally.duplicates
            report.pushed.conflicts += tally.conflicts
            report.pushed.rejected += tally.rejected
            done += batch.count
            progress(.pushing(done: min(done, max(total, done)), total: max(total, done)))
            guard tally.applied + tally.duplicates + tally.conflicts + tally.rejected > 0 else { break }
        }
        // Bootstrap when needed, then follow the feed.
        while true {
            let state = try database.syncState(now: now())
            guard let cursor = state.cursor else {
                progress(.bootstrapping)
                let snapshot = try await client.snapshot(SnapshotRequest(clock: state.clock), token: state.token)
                try database.applySnapshot(snapshot, now: now())
                report.bootstrapped = true
                report.snapshotTickets = snapshot.tickets.count
                progress(.bootstrapped(tickets: snapshot.tickets.count))
                continue
            }
            let page: PullPage
            do {
                page = try await client.pull(
                    PullRequest(cursor: cursor, limit: pageSize, clock: state.clock, outboxDepth: try database.outboxDepth()),
                    token: state.token)
            } catch let error as SyncClientError where ["cursor_invalid", "cursor_expired"].contains(error.code) {
                try database.resetCursor()
                continue
            }
            let outcome = try database.applyPage(page, expectedCursor: cursor, now: now())
            report.pages += 1
            report.changes += outcome.changes
            progress(.pulled(changes: report.changes))
            if !page.hasMore { break }
        }
        return report
    }
}
