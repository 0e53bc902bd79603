import Foundation
import SpotSync
import Synchronization

/// What a node's last holdable pull read, kept in memory, so that its next idle pull — the
/// same cursor, state digest, outbox depth and version, nothing signalled for its venue since
/// — is held without a database round trip. Thousands of idle nodes re-poll every 25 s; this
/// keeps each of those re-polls off the database. An entry lives at most
/// ``SyncService/contactRefreshInterval``, so contact bookkeeping still happens once a minute,
/// and only while notifications arrive (``SyncSignals/isListening``). A replica that has no
/// entry reads the database as usual.
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
        /// When this node's pull last went to the database (its contact bookkeeping).
        let readAt: ContinuousClock.Instant
    }

    static let lifetime: Duration = .seconds(Int64(SyncService.contactRefreshInterval))

    private let entries = Mutex<[UUID: Entry]>([:])

    /// The page to hold for `node`, if its last one is still current.
    func page(for node: UUID, key: Key, mark: SyncSignals.Mark, now: ContinuousClock.Instant) -> PullPage? {
        entries.withLock { entries in
            guard let entry = entries[node] else { return nil }
            guard entry.key == key, entry.mark == mark, now - entry.readAt < Self.lifetime else {
                entries[node] = nil
                return nil
            }
            return entry.page
        }
    }

    /// Remembers a holdable page a pull read from the database after `mark` was taken.
    func store(_ page: PullPage, for node: UUID, key: Key, mark: SyncSignals.Mark, now: ContinuousClock.Instant) {
        entries.withLock { $0[node] = Entry(key: key, page: page, mark: mark, readAt: now) }
    }

    /// Remembers the page a woken held pull answered with, as what the node's next pull will
    /// ask for (its cursor and digest): thousands of nodes answered at once by one signal then
    /// come back without each going to the database. Only while the node's last database read
    /// is younger than ``lifetime``, so its bookkeeping still happens once a minute.
    func storeAnswer(_ page: PullPage, for node: UUID, asked key: Key, mark: SyncSignals.Mark) {
        entries.withLock { entries in
            guard let previous = entries[node] else { return }
            // After the answer's cursor the feed had nothing more when it was read.
            var idle = page
            idle.changes = []
            let next = Key(cursor: page.cursor, outboxDepth: key.outboxDepth, version: key.version, stateDigest: page.stateDigest)
            entries[node] = Entry(key: next, page: idle, mark: mark, readAt: previous.readAt)
        }
    }

    func forget(_ node: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: node) }
    }

    var count: Int { entries.withLock { $0.count } }
}
