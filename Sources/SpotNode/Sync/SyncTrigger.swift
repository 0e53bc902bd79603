import Synchronization

/// Between the node's API and its background sync: the API asks for a sync now (after a
/// sale, a release, `POST /api/v1/sync`) and may wait, bounded, for the next sync to end, or
/// says a scan was queued (pushed at once while the server answers, without cutting short
/// the pause after a failure); the sync service waits for either without polling and reports
/// each sync that ended.
public final class SyncTrigger: Sendable {
    private struct State {
        var requested = false
        /// A scan was queued since a wait that takes scans last ended.
        var queued = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Whether the waiting sync service also wakes for a queued scan (it follows the feed).
        var waiterTakesQueued = false
    }

    private let state = Mutex(State())
    /// Syncs that ended so far.
    private let syncs = Generations()

    public init() {}

    /// Asks the background sync to run now.
    public func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter.take() { return waiter }
            state.requested = true
            return nil
        }
        waiter?.resume()
    }

    /// A scan was queued: a held pull ends so the scan is pushed now. A pause after a failure
    /// is not cut short (with the venue offline, every scan would otherwise be a new attempt).
    public func queued() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiterTakesQueued, let waiter = state.waiter.take() { return waiter }
            state.queued = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns once a sync was asked for since the last call (clearing the request) — or, with
    /// `takingQueued`, a scan was queued —, or when the task is cancelled.
    func requested(takingQueued: Bool = false) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.requested {
                        state.requested = false
                        return true
                    }
                    if takingQueued, state.queued {
                        state.queued = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = continuation
                    state.waiterTakesQueued = takingQueued
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiter.take() }?.resume()
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
