import Synchronization

/// Asks the background sync to run now (after a sale, or from `POST /api/v1/sync`).
public final class SyncTrigger: Sendable {
    private let fired = Mutex(false)

    public init() {}

    public func fire() { fired.withLock { $0 = true } }

    /// Whether a sync was asked for since the last call (and clears the request).
    func take() -> Bool { fired.withLock { value in defer { value = false }; return value } }
}
