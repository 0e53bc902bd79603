import Foundation
import Logging
import SpotSync

/// Gathers the re-reads of held pulls woken at about the same time into batches
/// (``SyncService/reread(_:now:logger:)``), one batch at a time (``Batcher``): a pull that finds
/// no batch running leads one with itself; pulls woken meanwhile queue, and when the batch ends
/// the first of them leads the next with all the others. Thousands of pulls woken by one signal
/// thus cost the database a few batches, not thousands of reads.
struct WokenPullReader: Sendable {
    let sync: SyncService
    private let batcher = Batcher<SyncService.WokenPull, FeedRead>(capacity: .max, concurrency: 1)

    init(sync: SyncService) {
        self.sync = sync
    }

    func page(for pull: SyncService.WokenPull, now: @Sendable () -> Date, logger: Logger) async throws -> FeedRead {
        try await batcher.submit(pull) { [sync] pulls in try await sync.reread(pulls, now: now(), logger: logger) }
    }
}
