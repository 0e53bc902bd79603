import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import SpotCore
import SpotSync
import Testing

@testable import SpotServer

/// The rules of a held pull and the signal registry, without a server.
@Suite("Held pulls: what to do next, and who wakes whom")
struct PullWaitTests {
    let start = ContinuousClock.now

    @Test("Listening, a pull sleeps until its deadline and answers there")
    func deadline() {
        var plan = PullWait(deadline: start + .seconds(5))
        #expect(plan.timeout(at: start, listening: true) == .seconds(5))
        #expect(plan.timeout(at: start + .milliseconds(4_500), listening: true) == .milliseconds(500))
        #expect(plan.timeout(at: start + .seconds(6), listening: true) == .zero)
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(5)) == .answer)
    }

    @Test("A state signal answers with whatever the re-read finds; closing answers at once")
    func stateAndClosing() {
        var plan = PullWait(deadline: start + .seconds(30))
        #expect(plan.decide(.state, listening: true, at: start) == .reread(answerAnyway: true))
        #expect(plan.decide(.closing, listening: true, at: start) == .answer)
    }

    @Test("A feed signal whose change is not readable yet is re-read on a short backoff, then at the deadline")
    func feedNotYetVisible() {
        var plan = PullWait(deadline: start + .seconds(30))
        #expect(plan.decide(.feed, listening: true, at: start) == .reread(answerAnyway: false))
        var now = start
        for delay in PullWait.visibilityRetries {
            plan.foundNothing(at: now, heldBack: false)
            #expect(plan.timeout(at: now, listening: true) == delay)
            now += delay
            #expect(plan.decide(.timeout, listening: true, at: now) == .reread(answerAnyway: false))
        }
        plan.foundNothing(at: now, heldBack: false)
        #expect(plan.timeout(at: now, listening: true) == start + .seconds(30) - now, "no retry left: sleep to the deadline")
        #expect(plan.decide(.timeout, listening: true, at: now + .milliseconds(100)) == .keepWaiting)
        // Never seen: at the deadline the pull reads once more and answers whatever it finds.
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(30)) == .reread(answerAnyway: true))
        #expect(plan.decide(.closing, listening: true, at: start + .seconds(1)) == .reread(answerAnyway: true))
    }

    @Test("A read that left committed changes out is followed up every 100 ms until they show")
    func heldBackIsFollowedUp() {
        var plan = PullWait(deadline: start + .seconds(30))
        var now = start
        // The pull's first read left changes out: no signal will come when the older transaction ends.
        for _ in 1...3 {
            plan.foundNothing(at: now, heldBack: true)
            #expect(plan.timeout(at: now, listening: true) == PullWait.heldBackPoll, "still held back: keep polling")
            now += PullWait.heldBackPoll
            #expect(plan.decide(.timeout, listening: true, at: now) == .reread(answerAnyway: false))
        }
        // Readable now, and nothing for this node: back to sleeping until the deadline, where it reads once more.
        plan.foundNothing(at: now, heldBack: false)
        #expect(plan.timeout(at: now, listening: true) == start + .seconds(30) - now)
        #expect(plan.decide(.timeout, listening: true, at: start + .seconds(30)) == .reread(answerAnyway: true))
    }

    @Test("Without notifications a pull re-reads the feed every second")
    func notListening() {
        var plan = PullWait(deadline: start + .seconds(30))
        #expect(plan.timeout(at: start, listening: false) == PullWait.unlistenedPoll)
        #expect(plan.timeout(at: start + .milliseconds(29_500), listening: false) == .milliseconds(500))
        #expect(plan.decide(.timeout, listening: false, at: start + .seconds(1)) == .reread(answerAnyway: false))
        #expect(plan.decide(.timeout, listening: false, at: start + .seconds(30)) == .reread(answerAnyway: true))
    }

    @Test("An idle pull is held from memory until the entry's life ends (five to ten minutes, spread) or its venue is signalled")
    func idleCache() throws {
        let node = UUID()
        let key = IdlePullCache.Key(cursor: "5.1", outboxDepth: 0, version: .livePull, stateDigest: "d")
        let page = Self.page()
        let mark = SyncSignals.Mark()
        let shortest = IdlePullCache(spread: { 0 })
        shortest.store(page, for: node, key: key, mark: mark, now: start)
        #expect(shortest.page(for: node, key: key, mark: mark, now: start + .seconds(299)) != nil)
        #expect(shortest.page(for: node, key: key, mark: mark, now: start + .seconds(300)) == nil, "bookkeeping is due")
        let longest = IdlePullCache(spread: { 0.999 })
        longest.store(page, for: node, key: key, mark: mark, now: start)
        #expect(longest.page(for: node, key: key, mark: mark, now: start + .seconds(599)) != nil)
        #expect(longest.page(for: node, key: key, mark: mark, now: start + .seconds(600)) == nil)
        var signalled = mark
        signalled.state = 1
        shortest.store(page, for: node, key: key, mark: mark, now: start)
        #expect(shortest.page(for: node, key: key, mark: signalled, now: start) == nil, "the venue changed")
        shortest.store(page, for: node, key: key, mark: mark, now: start)
        let other = IdlePullCache.Key(cursor: "5.2", outboxDepth: 0, version: .livePull, stateDigest: "d")
        #expect(shortest.page(for: node, key: other, mark: mark, now: start) == nil, "another cursor")
    }

    @Test("A kept device credential lives five to ten minutes, survives state signals, and is dropped by its venue's nodes signal")
    func credentialCache() throws {
        let signals = SyncSignals()
        signals.listening(true)
        let venue = UUID()
        let node = AuthenticatedNode(
            id: UUID(), venueID: venue, organizerID: UUID(), credentialID: UUID(), credentialExpiresAt: .distantFuture)
        let hash = Data(repeating: 7, count: 32)
        let shortest = NodeCredentialCache(spread: { 0 })
        shortest.store(node, for: hash, readAt: signals.position, signals: signals, now: start)
        signals.signal(.state(venue: venue))
        signals.signal(.feed(venue: venue))
        #expect(shortest.node(for: hash, signals: signals, now: start + .seconds(299)) == node, "a state or feed signal dropped it")
        #expect(shortest.node(for: hash, signals: signals, now: start + .seconds(300)) == nil, "its life is over")
        let longest = NodeCredentialCache(spread: { 0.999 })
        longest.store(node, for: hash, readAt: signals.position, signals: signals, now: start)
        #expect(longest.node(for: hash, signals: signals, now: start + .seconds(599)) == node)
        signals.signal(.nodes(venue: UUID()))
        #expect(longest.node(for: hash, signals: signals, now: start) == node, "another venue's nodes changed")
        signals.signal(.nodes(venue: venue))
        #expect(longest.node(for: hash, signals: signals, now: start) == nil, "the venue's nodes changed")
        // A read during which the venue's nodes changed is not kept; nor one across lost notifications.
        let readAt = signals.position
        signals.signal(.nodes(venue: venue))
        longest.store(node, for: hash, readAt: readAt, signals: signals, now: start)
        #expect(longest.node(for: hash, signals: signals, now: start) == nil, "kept what a signal made stale")
        let beforeReconnect = signals.position
        signals.listening(false)
        signals.listening(true)
        longest.store(node, for: hash, readAt: beforeReconnect, signals: signals, now: start)
        #expect(longest.node(for: hash, signals: signals, now: start) == nil, "kept a read from before notifications were lost")
        longest.store(node, for: hash, readAt: signals.position, signals: signals, now: start)
        signals.listening(false)
        #expect(longest.node(for: hash, signals: signals, now: start) == nil, "used while notifications are not arriving")
    }

    static func page() -> PullPage {
        PullPage(
            protocolVersion: 2, cursor: "5.1", hasMore: false, serverTime: HLCTimestamp(wallMilliseconds: 1), changes: [],
            trust: TrustBundle(issuerKeys: [], certificates: []), allotments: [], lastMutationID: 0, credential: nil)
    }

    @Test("A re-read answers with changes, more to come, or a state the node does not hold; otherwise it keeps waiting")
    func answersWith() throws {
        var page = Self.page()
        page.stateDigest = page.computedStateDigest()
        let held = page.stateDigest
        #expect(!PullWait.answers(with: page, asked: held, anyway: false))
        #expect(PullWait.answers(with: page, asked: held, anyway: true))
        #expect(PullWait.answers(with: page, asked: "0123", anyway: false), "a new state is news without feed rows")
        page.lastMutationID = 7
        page.stateDigest = page.computedStateDigest()
        #expect(page.stateDigest != held)
        #expect(PullWait.answers(with: page, asked: held, anyway: false))
        page.stateDigest = held
        page.hasMore = true
        #expect(PullWait.answers(with: page, asked: held, anyway: false))
    }

    @Test("Notification payloads: feed, state and nodes of a venue; anything else is ignored")
    func payloads() {
        let venue = UUID()
        #expect(SyncSignal(payload: "feed:\(venue.lowercasedText)") == .feed(venue: venue))
        #expect(SyncSignal(payload: "state:\(venue.uuidString)") == .state(venue: venue))
        #expect(SyncSignal(payload: "nodes:\(venue.lowercasedText)") == .nodes(venue: venue))
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
        // A change of the venue's nodes' credentials moves its mark but wakes no pull, before or during a wait.
        let beforeNodes = signals.mark(of: venue)
        signals.signal(.nodes(venue: venue))
        #expect(signals.mark(of: venue) != beforeNodes && signals.mark(of: venue).nodes > beforeNodes.nodes)
        async let unmoved = signals.wait(for: venue, since: beforeNodes, timeout: .milliseconds(300))
        try? await Task.sleep(for: .milliseconds(50))
        signals.signal(.nodes(venue: venue))
        #expect(await unmoved == .timeout)
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

    @Test("Heartbeats come from the event loop, one space per interval, and none once the pull is stopped")
    func heartbeatPacer() async throws {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9))
        let loop = channel.testingEventLoop
        let pacer = HeartbeatPacer(interval: .milliseconds(1500))
        let space = HTTPResponsePart.body(ByteBuffer(string: " "))
        pacer.start(channel)
        await loop.advanceTime(by: .milliseconds(1499))
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil, "not before the interval")
        await loop.advanceTime(by: .milliseconds(1))
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == space)
        await loop.advanceTime(by: .milliseconds(1500))
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == space)
        #expect(await pacer.count() == 1)
        await pacer.stop(channel)
        #expect(await pacer.count() == 0)
        await loop.advanceTime(by: .seconds(10))
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil, "a heartbeat after the answer would corrupt the connection")
        // A closed connection is not written to, and stopping it later is harmless.
        pacer.start(channel)
        try await channel.close()
        await loop.advanceTime(by: .seconds(3))
        #expect(try await channel.readOutbound(as: HTTPResponsePart.self) == nil)
        await pacer.stop(channel)
        #expect(await pacer.count() == 0)
    }

    @Test("Reconnection backoff: 1 s doubling to 30 s")
    func backoff() {
        #expect((1...7).map { ChannelListener.backoff(after: $0) }
            == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
    }
}
