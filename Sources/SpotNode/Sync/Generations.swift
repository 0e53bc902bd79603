import Synchronization

/// A counter tasks wait on without polling: each ``advance()`` wakes every task waiting for a
/// generation past the one it saw — syncs that ended (``SyncTrigger``), scans this node recorded
/// (held peer requests, ``PeerController``).
final class Generations: Sendable {
    private struct State {
        var current: UInt64 = 0
        var waiters: [UInt64: (after: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The generations so far (pass it to ``wait(after:within:)``).
    var current: UInt64 { state.withLock { $0.current } }

    func advance() {
        let due = state.withLock { state in
            state.current += 1
            let current = state.current
            let due = state.waiters.filter { $0.value.after < current }
            for key in due.keys { state.waiters[key] = nil }
            return due.values.map(\.continuation)
        }
        for waiter in due { waiter.resume() }
    }

    /// Waits at most `limit` for a generation after `generation`; true if one came.
    func wait(after generation: UInt64, within limit: Duration) async -> Bool {
        await first(within: limit) { await self.passed(generation) }
    }

    /// True once a generation after `generation` came; false if cancelled first.
    private func passed(_ generation: UInt64) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.current > generation || Task.isCancelled { return true }
                    state.waiters[id] = (generation, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
        return current > generation
    }
}

/// What `operation` answers, or false when `limit` passes first (the operation is then cancelled).
func first(within limit: Duration, _ operation: @escaping @Sendable () async -> Bool) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
