import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Listens on PostgreSQL's `hvflvspot_sync` channel over a connection of its own and hands
/// each notification to ``SyncSignals``, so every server replica wakes its held pulls when any
/// replica commits a change, and runs the ticker that ends waits at their deadlines. Reconnects with backoff; while it is not listening, held pulls
/// re-read their feed at every heartbeat instead. On shutdown, every held pull answers at once.
struct SyncSignalListener: Service {
    let configuration: PostgresConnection.Configuration
    let signals: SyncSignals
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await signals.runTicker() }
                    group.addTask { try await listenUntilCancelled() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            signals.close()
        }
    }

    private func listenUntilCancelled() async throws {
        try await ChannelListener(
            configuration: configuration, channel: SyncSignal.channel,
            lostMessage: "sync signals lost; held pulls re-read their feed until they are back", logger: logger
        ).listen(listening: { signals.listening($0) }, payload: { payload in
            if let signal = SyncSignal(payload: payload) { signals.signal(signal) }
        })
    }
}
