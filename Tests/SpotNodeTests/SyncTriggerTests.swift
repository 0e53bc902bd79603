import Foundation
import Testing

@testable import SpotNode

/// The hand-off between the node's API and its background sync, without polling.
@Suite("Sync trigger")
struct SyncTriggerTests {
    @Test("A request made before anyone waits is kept; one made while waiting wakes the waiter at once")
    func requests() async {
        let trigger = SyncTrigger()
        trigger.fire()
        trigger.fire()
        #expect(await trigger.requested(within: .seconds(5)), "the earlier request was kept")
        #expect(await !trigger.requested(within: .milliseconds(50)), "two requests before a sync are one")
        let clock = ContinuousClock()
        let started = clock.now
        async let woken = trigger.requested(within: .seconds(10))
        try? await Task.sleep(for: .milliseconds(50))
        trigger.fire()
        #expect(await woken)
        #expect(clock.now - started < .seconds(2))
    }

    /// Whether `operation` ends before `limit` (generous: a loaded test process may not run a task for seconds).
    static func ends(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        await first(within: limit) {
            await operation()
            return true
        }
    }

    @Test("A queued scan wakes a held pull, but never cuts short a pause after a failure; one queued meanwhile is kept for the next follow")
    func queuedScans() async {
        let trigger = SyncTrigger()
        // Following the feed: the scan ends the wait (whether it came before or after the wait began).
        async let woken = Self.ends(within: .seconds(60)) { await trigger.requested(takingQueued: true) }
        try? await Task.sleep(for: .milliseconds(50))
        trigger.queued()
        #expect(await woken, "a queued scan did not end the held pull")
        // Pausing after a failure: scans queue and the pause runs to its end.
        trigger.queued()
        async let paused = trigger.requested(within: .milliseconds(300))
        try? await Task.sleep(for: .milliseconds(50))
        trigger.queued()
        #expect(await !paused, "a scan cut the pause short")
        // The scans queued meanwhile are pushed as soon as the node follows the feed again.
        #expect(await Self.ends(within: .seconds(60)) { await trigger.requested(takingQueued: true) })
        // …once: the next follow waits again.
        #expect(await !Self.ends(within: .milliseconds(200)) { await trigger.requested(takingQueued: true) })
        // The follower learns why it woke: a scan is gathered with others, a request is served at once.
        trigger.queued()
        #expect(await trigger.requested(takingQueued: true) == .queued)
        trigger.fire()
        #expect(await trigger.requested(takingQueued: true) == .asked)
        // A request (a sale, "sync now") still ends a pause.
        async let asked = trigger.requested(within: .seconds(60))
        try? await Task.sleep(for: .milliseconds(50))
        trigger.fire()
        #expect(await asked)
    }

    @Test("Without a request the wait ends at its limit; a cancelled wait ends at once and keeps no stale waiter")
    func limits() async {
        let trigger = SyncTrigger()
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await !trigger.requested(within: .milliseconds(200)))
        #expect(clock.now - started >= .milliseconds(200))
        let waiting = Task { await trigger.requested() }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await waiting.value
        trigger.fire()
        #expect(await trigger.requested(within: .seconds(5)), "a request after a cancelled wait reaches the next one")
    }

    @Test("Staff wait for the next sync to end, bounded")
    func rounds() async {
        let trigger = SyncTrigger()
        let round = trigger.rounds
        async let ended = trigger.syncEnded(after: round, within: .seconds(10))
        try? await Task.sleep(for: .milliseconds(50))
        trigger.ended()
        #expect(await ended)
        #expect(trigger.rounds == round + 1)
        #expect(await trigger.syncEnded(after: round, within: .milliseconds(10)), "a round that already ended counts")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await !trigger.syncEnded(after: trigger.rounds, within: .milliseconds(200)))
        #expect(clock.now - started < .seconds(2))
    }
}
