import Foundation
import SpotSync
import Synchronization

/// What a node's last holdable pull read, kept in memory, so that its next idle pull — the
/// same cursor, state digest, outbox depth and version, nothing signalled for its venue since
/// — is held without a database round trip. Thousands of idle nodes re-poll every 25 s; this
/// keeps each of those re-polls off the database; their contacts go to ``NodeContacts``, written
/// once a minute for all of them. An entry lives five to ten minutes, drawn at random, so the
/// time-based bookkeeping of a pull (certificate renewal, credential rotation, the feed's
/// horizon) still runs, and thousands of nodes that caught up together do not all go back to the
/// database together; and only while notifications arrive (``SyncSignals/isListening``). A
/// replica that has no entry reads the database as usual.
final class IdlePullCache: Sendable {
    struct Key: Equatable, Sendable {
        let cursor: String
        let outboxDepth: Int
        let version: SyncProtocolVersion
        let stateDigest: String?
    }

    private struct Entry {
        let key: Key
        let page: PullPage
        let mark: SyncSignals.Mark
        /// When the node's next pull goes to the database again (its contact bookkeeping).
        let expiresAt: ContinuousClock.Instant
    }

    /// The shortest life of an entry; the longest is twice this.
    static let lifetime: Duration = .seconds(300)

    private let entries = Mutex<[UUID: Entry]>([:])
    /// A fraction in 0..<1 spreading each entry's life over ``lifetime`` … 2 × ``lifetime``.
    private let spread: @Sendable () -> Double

    init(spread: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.spread = spread
    }

    /// The page to hold for `node`, if its last one is still current.
    func page(for node: UUID, key: Key, mark: SyncSignals.Mark, now: ContinuousClock.Instant) -> PullPage? {
        entries.withLock { entries in
            guard let entry = entries[node] else { return nil }
            guard entry.key == key, entry.mark == mark, now < entry.expiresAt else {
                entries[node] = nil
                return nil
            }
            return entry.page
        }
    }

    /// Remembers a holdable page a pull read from the database after `mark` was taken.
    func store(_ page: PullPage, for node: UUID, key: Key, mark: SyncSignals.Mark, now: ContinuousClock.Instant) {
        let expiresAt = now + Self.lifetime * (1 + min(max(spread(), 0), 1))
        entries.withLock { $0[node] = Entry(key: key, page: page, mark: mark, expiresAt: expiresAt) }
    }

    /// Remembers the page a woken held pull answered with, as what the node's next pull will
    /// ask for (its cursor and digest): thousands of nodes answered at once by one signal then
    /// come back without each going to the database. It keeps the entry's expiry, so the node's
    /// bookkeeping still happens when it was due.
    func storeAnswer(_ page: PullPage, for node: UUID, asked key: Key, mark: SyncSignals.Mark) {
        entries.withLock { entries in
            guard let previous = entries[node] else { return }
            // After the answer's cursor the feed had nothing more when it was read.
            var idle = page
            idle.changes = []
            let next = Key(cursor: page.cursor, outboxDepth: key.outboxDepth, version: key.version, stateDigest: page.stateDigest)
            entries[node] = Entry(key: next, page: idle, mark: mark, expiresAt: previous.expiresAt)
        }
    }

    func forget(_ node: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: node) }
    }

    var count: Int { entries.withLock { $0.count } }
}
