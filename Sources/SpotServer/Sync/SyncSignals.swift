import Foundation
import Synchronization

/// Where pulls wait for their venue to change (sync protocol v2's live pull). The listener
/// (``SyncSignalListener``) feeds it PostgreSQL's notifications; a waiting pull takes a
/// ``Mark`` of its venue *before* reading the feed, then waits for the mark to move, so a
/// change committed between its read and its wait still wakes it.
///
/// Waits end at their deadline through one shared ticker (``runTicker()``, every
/// ``tickInterval``) rather than a timer and a task group per wait: thousands of held pulls
/// each waking every heartbeat cost the server a timer heap and two tasks apiece otherwise.
final class SyncSignals: Sendable {
    /// A venue's position in the signal stream: each signal moves one of its counters; the
    /// epoch moves for every venue when notifications may have been missed.
    struct Mark: Equatable, Sendable {
        var epoch: UInt64 = 0
        var feed: UInt64 = 0
        var state: UInt64 = 0
        var nodes: UInt64 = 0

        /// Whether a pull waiting since `earlier` has something to wake for: new feed rows, a
        /// changed state, or notifications that may have been missed (not a node's credentials).
        func wakesPulls(since earlier: Mark) -> Bool {
            epoch != earlier.epoch || feed != earlier.feed || state != earlier.state
        }
    }

    /// Why a wait ended.
    enum Wake: Equatable, Sendable {
        /// New rows in the venue's feed (they may need a moment to become readable).
        case feed
        /// The venue's allotments, certificates, keys or node status changed.
        case state
        /// Nothing happened within the timeout.
        case timeout
        /// The server is shutting down: answer now.
        case closing
    }

    private enum Slot {
        case pending
        case waiting(CheckedContinuation<Void, Never>)
        case done
    }

    typealias Instant = ContinuousClock.Instant

    /// How often waits past their deadline are ended: a deadline is met within this.
    static let tickInterval: Duration = .milliseconds(250)

    private struct State {
        var marks: [UUID: Mark] = [:]
        var waiters: [UUID: Set<Int>] = [:]
        var slots: [Int: Slot] = [:]
        var deadlines: [Int: Instant] = [:]
        var nextWaiter = 0
        var counter: UInt64 = 0
        var epoch: UInt64 = 0
        var listening = false
        var closing = false

        func mark(of venue: UUID) -> Mark {
            var mark = marks[venue] ?? Mark()
            mark.epoch = epoch
            return mark
        }
    }

    private let state = Mutex(State())

    /// The venue's current mark.
    func mark(of venue: UUID) -> Mark {
        state.withLock { $0.mark(of: venue) }
    }

    /// Where the signal stream is: every signal after it moves a mark past `counter` (or the
    /// epoch past `epoch`). Taken before a read, it tells whether a signal came during the read.
    struct Position: Equatable, Sendable {
        let counter: UInt64
        let epoch: UInt64
    }

    var position: Position { state.withLock { Position(counter: $0.counter, epoch: $0.epoch) } }

    /// Whether notifications are arriving (the listener is connected). When they are not, a
    /// waiting pull re-reads the feed at each heartbeat instead.
    var isListening: Bool { state.withLock { $0.listening } }

    var isClosing: Bool { state.withLock { $0.closing } }

    /// Waits until the venue's mark moves past `mark`, `deadline` passes (give or take
    /// ``tickInterval``), or the server closes.
    func wait(for venue: UUID, since mark: Mark, until deadline: Instant) async -> Wake {
        let id = state.withLock { state in
            state.nextWaiter += 1
            state.slots[state.nextWaiter] = .pending
            state.deadlines[state.nextWaiter] = deadline
            state.waiters[venue, default: []].insert(state.nextWaiter)
            return state.nextWaiter
        }
        await withCheckedContinuation { continuation in
            let now = self.state.withLock { state -> Bool in
                if case .done = state.slots[id] { return true }
                if state.closing || state.mark(of: venue).wakesPulls(since: mark) || deadline <= .now { return true }
                state.slots[id] = .waiting(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return state.withLock { state in
            state.slots[id] = nil
            state.deadlines[id] = nil
            state.waiters[venue]?.remove(id)
            if state.waiters[venue]?.isEmpty == true { state.waiters[venue] = nil }
            let now = state.mark(of: venue)
            if now.feed != mark.feed || now.epoch != mark.epoch { return .feed }
            if now.state != mark.state { return .state }
            return state.closing ? .closing : .timeout
        }
    }

    /// ``wait(for:since:until:)`` for `timeout` from now.
    func wait(for venue: UUID, since mark: Mark, timeout: Duration) async -> Wake {
        await wait(for: venue, since: mark, until: .now + timeout)
    }

    /// Ends every wait whose deadline has passed.
    func tick(at now: Instant = .now) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.deadlines.filter { $0.value <= now }.keys.compactMap { Self.take($0, &state) }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Ticks every ``tickInterval`` until cancelled (run by ``SyncSignalListener``).
    func runTicker() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.tickInterval)
            tick()
        }
    }

    /// A notification: moves the venue's mark and wakes its waiting pulls (a change of its
    /// nodes' credentials wakes none: their pages do not carry them).
    func signal(_ signal: SyncSignal) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.counter += 1
            var mark = state.marks[signal.venue] ?? Mark()
            switch signal {
            case .feed: mark.feed = state.counter
            case .state: mark.state = state.counter
            case .nodes:
                mark.nodes = state.counter
                state.marks[signal.venue] = mark
                return []
            }
            state.marks[signal.venue] = mark
            return (state.waiters[signal.venue] ?? []).compactMap { Self.take($0, &state) }
        }
        for continuation in woken { continuation.resume() }
    }

    /// The listener (re)connected or lost its connection: notifications may have been missed,
    /// so every waiting pull reads its feed again.
    func listening(_ connected: Bool) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.listening = connected
            state.epoch += 1
            return state.waiters.values.flatMap { $0 }.compactMap { Self.take($0, &state) }
        }
        for continuation in woken { continuation.resume() }
    }

    /// The server is shutting down: every waiting pull answers now, and new ones do not wait.
    func close() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closing = true
            return state.waiters.values.flatMap { $0 }.compactMap { Self.take($0, &state) }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Marks a waiter done; returns its continuation if it was suspended (resume it outside the lock).
    private static func take(_ id: Int, _ state: inout State) -> CheckedContinuation<Void, Never>? {
        switch state.slots[id] {
        case .waiting(let continuation):
            state.slots[id] = .done
            return continuation
        case .pending:
            state.slots[id] = .done
            return nil
        case .done, nil:
            return nil
        }
    }
}
