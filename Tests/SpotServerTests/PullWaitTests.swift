import Foundation
import SpotCore
import Testing

@testable import SpotServer

/// The rules of a held pull and the signal registry, without a server.
@Suite("Held pulls: what to do next, and who wakes whom")
struct PullWaitTests {
    let start = ContinuousClock.now

    @Test("Waits in slices no longer than the heartbeat and answers at the deadline")
    func slicesAndDeadline() {
        var plan = PullWait(deadline: start + .seconds(5), heartbeat: .seconds(2), now: start)
        #expect(plan.timeout(at: start) == .seconds(2))
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(2)) == .keepWaiting)
        #expect(plan.heartbeatDue(at: start + .seconds(2)))
        plan.sentByte(at: start + .seconds(2))
        #expect(plan.timeout(at: start + .seconds(4)) == .seconds(0))
        #expect(plan.timeout(at: start + .milliseconds(4_500)) == .zero)
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(5)) == .answer)
    }

    @Test("A state signal answers with whatever the re-read finds; closing answers at once")
    func stateAndClosing() {
        var plan = PullWait(deadline: start + .seconds(30), heartbeat: .seconds(2), now: start)
        #expect(plan.decide(.state, listening: true, at: start) == .reread(answerAnyway: true))
        #expect(plan.decide(.closing, listening: true, at: start) == .answer)
    }

    @Test("A feed signal whose change is not readable yet is re-read on a short backoff, then at the deadline")
    func feedNotYetVisible() {
        var plan = PullWait(deadline: start + .seconds(30), heartbeat: .seconds(2), now: start)
        #expect(plan.decide(.feed, listening: true, at: start) == .reread(answerAnyway: false))
        var now = start
        for delay in PullWait.visibilityRetries {
            plan.foundNothing(at: now)
            #expect(plan.timeout(at: now) == delay)
            now += delay
            #expect(plan.decide(.timeout, listening: true, at: now) == .reread(answerAnyway: false))
        }
        plan.foundNothing(at: now)
        #expect(plan.timeout(at: now) <= .seconds(2))
        #expect(plan.decide(.timeout, listening: true, at: now + .milliseconds(100)) == .keepWaiting)
        // Never seen: at the deadline the pull reads once more and answers whatever it finds.
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(30)) == .reread(answerAnyway: true))
        #expect(plan.decide(.closing, listening: true, at: start + .seconds(1)) == .reread(answerAnyway: true))
    }

    @Test("Without notifications every slice re-reads the feed")
    func notListening() {
        var plan = PullWait(deadline: start + .seconds(30), heartbeat: .seconds(2), now: start)
        #expect(plan.decide(.timeout, listening: false, at: start + .seconds(2)) == .reread(answerAnyway: false))
        #expect(plan.decide(.timeout, listening: false, at: start + .seconds(30)) == .reread(answerAnyway: true))
    }

    @Test("Notification payloads: feed and state of a venue; anything else is ignored")
    func payloads() {
        let venue = UUID()
        #expect(SyncSignal(payload: "feed:\(venue.lowercasedText)") == .feed(venue: venue))
        #expect(SyncSignal(payload: "state:\(venue.uuidString)") == .state(venue: venue))
        for bad in ["", "feed", "feed:", "feed:x", "other:\(venue.lowercasedText)", ":\(venue.lowercasedText)"] {
            #expect(SyncSignal(payload: bad) == nil, "\(bad)")
        }
    }

    @Test("A signal wakes the venue's waiters only; one that came before the wait still counts")
    func signalsWakeTheirVenue() async {
        let signals = SyncSignals()
        await Self.ticking(signals) { await Self.wakeTheirVenue(signals) }
    }

    /// Runs `body` while `signals` ticks, as the listener service makes it.
    static func ticking(_ signals: SyncSignals, _ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signals.runTicker() }
            await body()
            group.cancelAll()
        }
    }

    static func wakeTheirVenue(_ signals: SyncSignals) async {
        let venue = UUID()
        let other = UUID()
        let mark = signals.mark(of: venue)
        signals.signal(.feed(venue: other))
        #expect(await signals.wait(for: venue, since: mark, timeout: .milliseconds(50)) == .timeout)
        signals.signal(.feed(venue: venue))  // before the wait: the mark has moved
        #expect(await signals.wait(for: venue, since: mark, timeout: .seconds(10)) == .feed)
        let again = signals.mark(of: venue)
        async let woken = signals.wait(for: venue, since: again, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(50))
        signals.signal(.state(venue: venue))
        #expect(await woken == .state)
    }

    @Test("Losing or regaining notifications wakes every waiter to re-read; closing answers them all")
    func listeningAndClosing() async {
        let signals = SyncSignals()
        await Self.ticking(signals) { await Self.listenAndClose(signals) }
    }

    static func listenAndClose(_ signals: SyncSignals) async {
        let venue = UUID()
        let mark = signals.mark(of: venue)
        async let woken = signals.wait(for: venue, since: mark, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(50))
        signals.listening(true)
        #expect(await woken == .feed)
        #expect(signals.isListening)
        let later = signals.mark(of: venue)
        async let closed = signals.wait(for: venue, since: later, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(50))
        signals.close()
        #expect(await closed == .closing)
        #expect(await signals.wait(for: venue, since: signals.mark(of: venue), timeout: .seconds(10)) == .closing)
    }

    @Test("Waits end at their deadline through the shared ticker, within one tick")
    func deadlines() async {
        let signals = SyncSignals()
        let venue = UUID()
        let clock = ContinuousClock()
        let started = clock.now
        async let ended = signals.wait(for: venue, since: signals.mark(of: venue), until: started + .milliseconds(300))
        try? await Task.sleep(for: .milliseconds(200))
        signals.tick()
        try? await Task.sleep(for: .milliseconds(200))
        signals.tick()
        #expect(await ended == .timeout)
        #expect(clock.now - started >= .milliseconds(300), "not before its deadline")
        #expect(await signals.wait(for: venue, since: signals.mark(of: venue), until: started) == .timeout, "a past deadline ends at once")
    }

    @Test("Reconnection backoff: 1 s doubling to 30 s")
    func backoff() {
        #expect((1...7).map { SyncSignalListener.backoff(after: $0) }
            == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
    }
}
