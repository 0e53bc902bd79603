/// What a held pull (sync protocol v2) does next, decided without I/O so its rules are tested
/// on their own: wait in slices no longer than the heartbeat, read the feed again when the
/// venue is signalled, keep re-reading briefly when a signalled change is not readable yet
/// (an older transaction still runs), and answer at the deadline or when the server closes.
struct PullWait {
    typealias Instant = ContinuousClock.Instant

    enum Decision: Equatable {
        /// Keep waiting (send a heartbeat first if one is due).
        case keepWaiting
        /// Read the feed again; answer if it has changes, or always when `answerAnyway`.
        case reread(answerAnyway: Bool)
        /// Answer with the page read last.
        case answer
    }

    /// Delays between re-reads after a feed signal found nothing readable: 1.55 s in all.
    static let visibilityRetries: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(200),
                                                .milliseconds(400), .milliseconds(800)]

    let deadline: Instant
    let heartbeat: Duration
    private(set) var lastByte: Instant
    private var retryAt: Instant?
    private var retriesLeft: ArraySlice<Duration> = []
    /// A feed signal whose change no re-read has seen yet.
    private var unseenSignal = false

    init(deadline: Instant, heartbeat: Duration, now: Instant) {
        self.deadline = deadline
        self.heartbeat = heartbeat
        self.lastByte = now
    }

    /// How long the next wait may last.
    func timeout(at now: Instant) -> Duration {
        var until = min(deadline, lastByte + heartbeat)
        if let retryAt { until = min(until, retryAt) }
        return max(.zero, until - now)
    }

    /// Whether a heartbeat byte is due.
    func heartbeatDue(at now: Instant) -> Bool { now - lastByte >= heartbeat }

    mutating func sentByte(at now: Instant) { lastByte = now }

    /// Decides after a wait ended.
    mutating func decide(_ wake: SyncSignals.Wake, listening: Bool, at now: Instant) -> Decision {
        switch wake {
        case .closing:
            return unseenSignal ? .reread(answerAnyway: true) : .answer
        case .state:
            return .reread(answerAnyway: true)
        case .feed:
            unseenSignal = true
            retriesLeft = Self.visibilityRetries[...]
            retryAt = nil
            return .reread(answerAnyway: false)
        case .timeout:
            if now >= deadline { return unseenSignal || !listening ? .reread(answerAnyway: true) : .answer }
            if let retryAt, now >= retryAt {
                self.retryAt = nil
                return .reread(answerAnyway: false)
            }
            return listening ? .keepWaiting : .reread(answerAnyway: false)
        }
    }

    /// A re-read found no changes: schedule the next visibility retry, if any are left.
    mutating func foundNothing(at now: Instant) {
        if let delay = retriesLeft.popFirst() {
            retryAt = now + delay
        } else {
            retryAt = nil
        }
    }
}
