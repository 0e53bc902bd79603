import Synchronization

/// Between the node's API and its background sync: the API asks for a sync now (after a
/// sale, a release, `POST /api/v1/sync`) and may wait, bounded, for the next sync to end, or
/// says a scan was queued (pushed soon while the server answers, without cutting short the
/// pause after a failure); the sync service waits for either without polling and reports each
/// sync that ended.
public final class SyncTrigger: Sendable {
    /// What ended a wait.
    enum Wake: Equatable {
        /// A sync was asked for (or the wait was cancelled).
        case asked
        /// A scan was queued.
        case queued
    }

    private struct State {
        var requested = false
        /// A scan was queued since a wait that takes scans last ended.
        var queued = false
        var waiter: CheckedContinuation<Wake, Never>?
        /// Whether the waiting sync service also wakes for a queued scan (it follows the feed).
        var waiterTakesQueued = false
    }

    private let state = Mutex(State())
    /// Syncs that ended so far.
    private let syncs = Generations()

    public init() {}

    /// Asks the background sync to run now.
    public func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Wake, Never>? in
            if let waiter = state.waiter.take() { return waiter }
            state.requested = true
            return nil
        }
        waiter?.resume(returning: .asked)
    }

    /// A scan was queued: a held pull ends so the scan is pushed now. A pause after a failure
    /// is not cut short (with the venue offline, every scan would otherwise be a new attempt).
    public func queued() {
        let waiter = state.withLock { state -> CheckedContinuation<Wake, Never>? in
            if state.waiterTakesQueued, let waiter = state.waiter.take() { return waiter }
            state.queued = true
            return nil
        }
        waiter?.resume(returning: .queued)
    }

    /// Returns once a sync was asked for since the last call (clearing the request) — or, with
    /// `takingQueued`, a scan was queued —, or when the task is cancelled; says which.
    @discardableResult
    func requested(takingQueued: Bool = false) async -> Wake {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let now = state.withLock { state -> Wake? in
                    if state.requested {
                        state.requested = false
                        return .asked
                    }
                    if takingQueued, state.queued {
                        state.queued = false
                        return .queued
                    }
                    if Task.isCancelled { return .asked }
                    state.waiter = continuation
                    state.waiterTakesQueued = takingQueued
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            state.withLock { $0.waiter.take() }?.resume(returning: .asked)
        }
    }

    /// Waits for a request, at most `delay`; true when a sync was asked for.
    func requested(within delay: Duration) async -> Bool {
        await first(within: delay) {
            await self.requested()
            return !Task.isCancelled
        }
    }

    /// The number of syncs that ended so far (pass it to ``syncEnded(after:within:)``).
    public var rounds: UInt64 { syncs.current }

    /// The sync service reports that a sync ended (well or not).
    func ended() {
        syncs.advance()
    }

    /// Waits, at most `limit`, until a sync that started after `round` ended; true if one did.
    public func syncEnded(after round: UInt64, within limit: Duration) async -> Bool {
        await syncs.wait(after: round, within: limit)
    }
}
