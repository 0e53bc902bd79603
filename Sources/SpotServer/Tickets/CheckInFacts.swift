import Foundation
import Logging
import SpotCore
import Synchronization

/// What an online check-in reads that rarely changes — an event's organizer, status and
/// re-entry policy, an organizer's issuer keys, whose events a user checks in for — kept in the
/// process while PostgreSQL's notifications say what changed (migrations 14 and 19), so a
/// check-in does not read them each time.
///
/// Kept by ``KeptWhileListening``'s rule: when the listener's connection is lost everything is
/// dropped and read from the database until it is back.
final class CheckInFacts: KeptFromNotifications {
    static let channel = "hvflvspot_check_in"
    static let lostMessage: Logger.Message =
        "check-in facts signals lost; check-ins read events and keys from the database until they are back"

    /// At most this many events (and as many organizers' keys, and users' scopes) are kept; past it, all are dropped.
    static let capacity = 50_000

    struct Event: Sendable, Equatable {
        let organizer: UUID
        let status: String
        let reentry: String
    }

    private struct State {
        var rule = KeptWhileListening()
        var events: [UUID: Event] = [:]
        var keys: [UUID: [IssuerKey]] = [:]
        /// The organizers a user checks in for, by user and role (an organizer's own profile, a
        /// member of staff's employer); empty when there is none.
        var scopes: [ScopeKey: Set<UUID>] = [:]

        mutating func dropAll() {
            events.removeAll()
            keys.removeAll()
            scopes.removeAll()
        }
    }

    private struct ScopeKey: Hashable {
        let user: UUID
        let role: Role
    }

    private let state = Mutex(State())

    /// Where a read begins (pass it to `keep`), or nil when nothing may be kept (not listening).
    var generation: UInt64? { state.withLock { $0.rule.readStart } }

    func event(_ id: UUID) -> Event? { state.withLock { $0.rule.listening ? $0.events[id] : nil } }

    func keys(of organizer: UUID) -> [IssuerKey]? { state.withLock { $0.rule.listening ? $0.keys[organizer] : nil } }

    func scope(of user: UUID, as role: Role) -> Set<UUID>? {
        state.withLock { $0.rule.listening ? $0.scopes[ScopeKey(user: user, role: role)] : nil }
    }

    /// Keeps `event` if nothing changed since `generation` was read.
    func keep(_ event: Event, for id: UUID, readAt generation: UInt64?) {
        state.withLock { state in
            if state.rule.mayKeep(readAt: generation) { state.events.keep(event, for: id, capacity: Self.capacity) }
        }
    }

    /// Keeps `keys` if nothing changed since `generation` was read.
    func keep(_ keys: [IssuerKey], of organizer: UUID, readAt generation: UInt64?) {
        state.withLock { state in
            if state.rule.mayKeep(readAt: generation) { state.keys.keep(keys, for: organizer, capacity: Self.capacity) }
        }
    }

    /// Keeps `scope` if nothing changed since `generation` was read.
    func keep(_ scope: Set<UUID>, of user: UUID, as role: Role, readAt generation: UInt64?) {
        state.withLock { state in
            guard state.rule.mayKeep(readAt: generation) else { return }
            state.scopes.keep(scope, for: ScopeKey(user: user, role: role), capacity: Self.capacity)
        }
    }

    /// A notification: `event:<id>`, `keys:<organizer>` or `scope:<user>`; anything else drops everything.
    func changed(_ payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 1)
        let id = parts.count == 2 ? UUID(uuidString: String(parts[1])) : nil
        state.withLock { state in
            state.rule.changed()
            switch (parts.first, id) {
            case ("event", let id?): state.events[id] = nil
            case ("keys", let id?): state.keys[id] = nil
            case ("scope", let id?):
                for role in Role.allCases { state.scopes[ScopeKey(user: id, role: role)] = nil }
            default: state.dropAll()
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
