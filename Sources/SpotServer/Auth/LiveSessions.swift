import Foundation
import Logging
import Synchronization

/// Sign-in sessions that were live when read — their user, the user's role, their expiry — kept
/// in the process while PostgreSQL's notifications say which sessions and users changed
/// (migration 23), so a request's access token is checked without reading the database.
///
/// Kept by ``KeptWhileListening``'s rule, as ``CheckInFacts`` are: when the listener's connection
/// is lost everything is dropped and read from the database until it is back. A revocation or
/// role change committed by this process is forgotten here as soon as it commits
/// (``forget(session:)``, ``forget(user:)``), so this process's next request sees it; other
/// replicas see it when the notification arrives.
package final class LiveSessions: KeptFromNotifications {
    static let channel = "hvflvspot_sessions"
    static let lostMessage: Logger.Message =
        "session signals lost; every request reads its session from the database until they are back"

    /// At most this many sessions are kept; past it, all are dropped.
    static let capacity = 100_000

    struct Session: Sendable, Equatable {
        let user: UUID
        let role: Role
        let expiresAt: Date
    }

    private struct State {
        var rule = KeptWhileListening()
        var sessions: [UUID: Session] = [:]
        /// The kept sessions of each user, so a user's change drops theirs without a scan.
        var byUser: [UUID: Set<UUID>] = [:]

        mutating func keep(_ session: Session, for id: UUID) {
            if sessions.count >= LiveSessions.capacity { dropAll() }
            sessions[id] = session
            byUser[session.user, default: []].insert(id)
        }

        mutating func drop(session id: UUID) {
            guard let session = sessions.removeValue(forKey: id) else { return }
            byUser[session.user]?.remove(id)
            if byUser[session.user]?.isEmpty == true { byUser[session.user] = nil }
        }

        mutating func drop(user id: UUID) {
            for session in byUser.removeValue(forKey: id) ?? [] { sessions[session] = nil }
        }

        mutating func dropAll() {
            sessions.removeAll()
            byUser.removeAll()
        }
    }

    private let state = Mutex(State())

    package init() {}

    /// Where a read begins (pass it to `keep`), or nil when nothing may be kept (not listening).
    var generation: UInt64? { state.withLock { $0.rule.readStart } }

    func session(_ id: UUID) -> Session? { state.withLock { $0.rule.listening ? $0.sessions[id] : nil } }

    /// Keeps `session` if nothing changed since `generation` was read.
    func keep(_ session: Session, for id: UUID, readAt generation: UInt64?) {
        state.withLock { state in
            if state.rule.mayKeep(readAt: generation) { state.keep(session, for: id) }
        }
    }

    /// A session this process revoked (after its commit).
    func forget(session id: UUID) {
        state.withLock { state in
            state.rule.changed()
            state.drop(session: id)
        }
    }

    /// A user whose role this process changed (after its commit): every session of theirs.
    func forget(user id: UUID) {
        state.withLock { state in
            state.rule.changed()
            state.drop(user: id)
        }
    }

    /// A notification: `session:<id>` or `user:<id>`; anything else drops everything.
    func changed(_ payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 1)
        let id = parts.count == 2 ? UUID(uuidString: String(parts[1])) : nil
        switch (parts.first, id) {
        case ("session", let id?): forget(session: id)
        case ("user", let id?): forget(user: id)
        default:
            state.withLock { state in
                state.rule.changed()
                state.dropAll()
            }
        }
    }

    /// Whether notifications are arriving; either way, what was kept is dropped (some may have been missed).
    func listening(_ listening: Bool) {
        state.withLock { state in
            state.rule.listening(listening)
            state.dropAll()
        }
    }
}
