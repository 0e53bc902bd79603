import Logging
import PostgresNIO
import ServiceLifecycle

/// The rule for values a process keeps from PostgreSQL while a channel's notifications say which
/// of them changed (``CheckInFacts``, ``LiveSessions``): a value is kept only while the listener
/// is listening, and only if no change arrived since its read began (so a change committed during
/// the read is never kept past its notification). Lives inside its owner's lock.
struct KeptWhileListening {
    private(set) var listening = false
    private var generation: UInt64 = 0

    /// Where a read begins: nil when nothing may be kept (not listening).
    var readStart: UInt64? { listening ? generation : nil }

    /// Whether a value whose read began at `start` may be kept.
    func mayKeep(readAt start: UInt64?) -> Bool { listening && start == generation }

    /// A change arrived (or was made here): reads begun before it are not kept.
    mutating func changed() { generation &+= 1 }

    /// The listener started or stopped listening: reads begun before are not kept.
    mutating func listening(_ listening: Bool) {
        self.listening = listening
        generation &+= 1
    }
}

extension Dictionary {
    /// Keeps `value` under `key`, first dropping everything once `capacity` entries are kept.
    mutating func keep(_ value: Value, for key: Key, capacity: Int) {
        if count >= capacity { removeAll(keepingCapacity: true) }
        self[key] = value
    }
}

/// Values a process keeps while a channel's notifications say which changed: told whether
/// notifications are arriving (``KeptWhileListening``) and each one's payload.
protocol KeptFromNotifications: Sendable {
    /// The PostgreSQL channel its changes are notified on.
    static var channel: String { get }
    /// What is logged when the channel's connection is lost.
    static var lostMessage: Logger.Message { get }
    func listening(_ listening: Bool)
    func changed(_ payload: String)
}

/// Feeds what a process keeps the notifications of its channel, over a connection of its own,
/// until graceful shutdown.
struct NotificationFeed<Kept: KeptFromNotifications>: Service {
    let configuration: PostgresConnection.Configuration
    let kept: Kept
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await ChannelListener(
                configuration: configuration, channel: Kept.channel, lostMessage: Kept.lostMessage, logger: logger
            ).listen(listening: { kept.listening($0) }, payload: { kept.changed($0) })
        }
    }
}
