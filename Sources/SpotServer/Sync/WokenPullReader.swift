import Foundation
import Logging
import SpotSync
import Synchronization

/// Gathers the re-reads of held pulls woken at about the same time into batches
/// (``SyncService/reread(_:now:logger:)``), one batch at a time: a pull that finds no batch
/// running leads one with itself; pulls woken meanwhile queue, and when the batch ends the first
/// of them leads the next with all the others. Thousands of pulls woken by one signal thus cost
/// the database a few batches, not thousands of reads.
final class WokenPullReader: Sendable {
    private enum Turn {
        case page(Result<FeedRead, any Error>)
        case lead
    }

    private struct Waiter {
        let pull: SyncService.WokenPull
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var running = false
        var queue: [Waiter] = []
    }

    let sync: SyncService
    private let state = Mutex(State())

    init(sync: SyncService) {
        self.sync = sync
    }

    func page(for pull: SyncService.WokenPull, now: @Sendable () -> Date, logger: Logger) async throws -> FeedRead {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leadNow = state.withLock { state -> Bool in
                if state.running {
                    state.queue.append(Waiter(pull: pull, continuation: continuation))
                    return false
                }
                state.running = true
                return true
            }
            if leadNow { continuation.resume(returning: .lead) }
        }
        if case .page(let result) = turn { return try result.get() }
        // Leading: this pull and every one queued by now.
        let others = state.withLock { state -> [Waiter] in
            defer { state.queue = [] }
            return state.queue
        }
        let pages: Result<[FeedRead], any Error>
        do {
            pages = .success(try await sync.reread([pull] + others.map(\.pull), now: now(), logger: logger))
        } catch {
            pages = .failure(error)
        }
        for (index, waiter) in others.enumerated() {
            waiter.continuation.resume(returning: .page(pages.map { $0[index + 1] }))
        }
        let next = state.withLock { state -> Waiter? in
            guard !state.queue.isEmpty else {
                state.running = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try pages.get()[0]
    }
}
