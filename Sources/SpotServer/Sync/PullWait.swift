import SpotSync

/// What a held pull (sync protocol v2) does next, decided without I/O so its rules are tested
/// on their own: wait for the venue's signal (or, without notifications, re-read the feed
/// every ``unlistenedPoll``), read the feed again when the venue is signalled, keep
/// re-reading briefly when a signalled change is not readable yet, and for as long as a read
/// says committed changes were left out (``FeedRead/heldBack``: an older transaction still
/// runs, and its end signals nothing), and answer at the deadline or when the server closes.
struct PullWait {
    typealias Instant = ContinuousClock.Instant

    enum Decision: Equatable {
        /// Keep waiting.
        case keepWaiting
        /// Read the feed again; answer if it has changes, or always when `answerAnyway`.
        case reread(answerAnyway: Bool)
        /// Answer with the page read last.
        case answer
    }

    /// Delays between re-reads after a feed signal found nothing readable: 1.55 s in all.
    static let visibilityRetries: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(200),
                                                .milliseconds(400), .milliseconds(800)]

    /// How often a pull re-reads the feed while the server hears no notifications.
    static let unlistenedPoll: Duration = .seconds(1)

    /// How often a pull re-reads while its reads leave committed changes out: they show as soon as
    /// the older transaction ends, which nothing signals, so the pull looks again soon.
    static let heldBackPoll: Duration = .milliseconds(100)

    let deadline: Instant
    private var retryAt: Instant?
    private var retriesLeft: ArraySlice<Duration> = []
    /// A feed signal whose change no re-read has seen yet.
    private var unseenSignal = false

    init(deadline: Instant) {
        self.deadline = deadline
    }

    /// How long the next wait may last: until the deadline or the next visibility retry and,
    /// without notifications, no longer than ``unlistenedPoll``.
    func timeout(at now: Instant, listening: Bool) -> Duration {
        var until = deadline
        if let retryAt { until = min(until, retryAt) }
        if !listening { until = min(until, now + Self.unlistenedPoll) }
        return max(.zero, until - now)
    }

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

    /// Whether a re-read page is news for the node: changes, more to come, or a state (trust,
    /// allotments) other than the one it holds — even when the feed signal that woke the pull
    /// is not readable yet, or the server is not hearing notifications at all.
    static func answers(with page: PullPage, asked stateDigest: String?, anyway: Bool) -> Bool {
        anyway || !page.changes.isEmpty || page.hasMore || page.stateDigest != stateDigest
    }

    /// A read (the pull's first, or a re-read) found no changes: schedule the next visibility
    /// retry, if any are left. A read that left committed changes out counts as a signal not
    /// seen yet, and is followed up every ``heldBackPoll`` for as long as that lasts.
    mutating func foundNothing(at now: Instant, heldBack: Bool) {
        if heldBack {
            unseenSignal = true
            retriesLeft = []
            retryAt = now + Self.heldBackPoll
        } else if let delay = retriesLeft.popFirst() {
            retryAt = now + delay
        } else {
            retryAt = nil
        }
    }
}
