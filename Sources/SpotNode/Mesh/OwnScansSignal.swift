import Synchronization

/// Wakes the peers' held requests (``PeerController``) when this node records a scan, without polling.
public final class OwnScansSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Scans recorded so far (pass it to ``wait(since:upTo:)``).
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// A scan was recorded.
    public func recorded() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a scan was recorded after `generation`, or after `limit`, or when cancelled.
    public func wait(since generation: UInt64, upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.recorded(after: generation) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func recorded(after generation: UInt64) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation > generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
