import NIOCore
import NIOHTTPTypes
import SpotSync
import Synchronization

/// Sends the heartbeat of every held pull (`SyncProtocol/sync-v2.md` §5.1) from its
/// connection's event loop: one timer per event loop writes a space into every pull held on
/// that loop, so a quiet pull costs one socket write per beat and wakes no task.
///
/// A pull is beaten from ``start(_:)`` until ``stop(_:)`` returns; both run on the channel's
/// event loop, in order, so no heartbeat is written after the pull's answer.
final class HeartbeatPacer: Sendable {
    /// The time between two heartbeats of one pull (its first comes at most this long after the status line).
    let interval: TimeAmount
    private let loops = Mutex<[ObjectIdentifier: LoopPacer]>([:])

    /// A quarter second inside the protocol's ``LivePull/heartbeatInterval``: a busy event loop
    /// fires its timer late, and the node must still hear a byte at least that often.
    static let defaultInterval = LivePull.heartbeatInterval - .milliseconds(250)

    init(interval: Duration = HeartbeatPacer.defaultInterval) {
        self.interval = .nanoseconds(Int64(interval.components.seconds) * 1_000_000_000
            + interval.components.attoseconds / 1_000_000_000)
    }

    /// Beats `channel` until ``stop(_:)``.
    func start(_ channel: any Channel) {
        let pacer = pacer(for: channel.eventLoop)
        channel.eventLoop.execute { pacer.add(channel) }
    }

    /// Stops beating `channel`; once this returns no heartbeat of it is pending or will be written.
    func stop(_ channel: any Channel) async {
        let pacer = pacer(for: channel.eventLoop)
        // Fails only when the event loop is shutting down: then nothing more runs on it anyway.
        try? await channel.eventLoop.submit { pacer.remove(channel) }.get()
    }

    /// How many pulls are beaten now, on every loop (tests and metrics).
    func count() async -> Int {
        var total = 0
        for pacer in loops.withLock({ Array($0.values) }) {
            total += (try? await pacer.loop.submit { pacer.count }.get()) ?? 0
        }
        return total
    }

    private func pacer(for loop: any EventLoop) -> LoopPacer {
        loops.withLock { loops in
            if let pacer = loops[ObjectIdentifier(loop)] { return pacer }
            let pacer = LoopPacer(loop: loop, interval: interval)
            loops[ObjectIdentifier(loop)] = pacer
            return pacer
        }
    }
}

/// The held pulls of one event loop, touched only on that loop; its timer runs while it has any.
private final class LoopPacer: Sendable {
    let loop: any EventLoop
    let interval: TimeAmount
    private let state: NIOLoopBoundBox<State>

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var timer: RepeatedTask?
    }

    /// One space of JSON whitespace, sent as one chunk of the pull's body.
    private static let heartbeat = HTTPResponsePart.body(ByteBuffer(string: " "))

    init(loop: any EventLoop, interval: TimeAmount) {
        self.loop = loop
        self.interval = interval
        state = .makeBoxSendingValue(State(), eventLoop: loop)
    }

    var count: Int { state.value.channels.count }

    func add(_ channel: any Channel) {
        state.value.channels[ObjectIdentifier(channel)] = channel
        if state.value.timer == nil {
            state.value.timer = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in beat() }
        }
    }

    func remove(_ channel: any Channel) {
        state.value.channels[ObjectIdentifier(channel)] = nil
        if state.value.channels.isEmpty {
            state.value.timer?.cancel()
            state.value.timer = nil
        }
    }

    private func beat() {
        for channel in state.value.channels.values where channel.isActive {
            channel.writeAndFlush(Self.heartbeat, promise: nil)
        }
    }
}
