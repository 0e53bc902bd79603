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

    /// Pauses between reconnection attempts: 1 s doubling up to 30 s.
    static func backoff(after failures: Int) -> Duration {
        .seconds(min(30, 1 << min(max(failures - 1, 0), 5)))
    }

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
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 0, logger: logger)
                do {
                    try await connection.listen(on: SyncSignal.channel) { notifications in
                        signals.listening(true)
                        if failures > 0 { logger.info("sync signals are back", metadata: ["after_failures": "\(failures)"]) }
                        failures = 0
                        for try await notification in notifications {
                            if let signal = SyncSignal(payload: notification.payload) { signals.signal(signal) }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch where !Task.isCancelled {
                failures += 1
                logger.warning(
                    "sync signals lost; held pulls re-read their feed until they are back",
                    metadata: ["error": "\(String(reflecting: error))", "failures": "\(failures)"])
            }
            signals.listening(false)
            try await Task.sleep(for: Self.backoff(after: failures))
        }
    }
}
