import Foundation
import Logging
import PostgresNIO

/// Listens on one PostgreSQL notification channel over a connection of its own until the task
/// is cancelled, reconnecting with backoff (1 s doubling up to 30 s). `listening` is told true
/// once the channel is listened on and false whenever the connection is lost, so the caller can
/// stop trusting what notifications would have told it.
struct ChannelListener: Sendable {
    let configuration: PostgresConnection.Configuration
    let channel: String
    /// What is logged when the connection is lost.
    let lostMessage: Logger.Message
    let logger: Logger

    static func backoff(after failures: Int) -> Duration {
        .seconds(min(30, 1 << min(max(failures - 1, 0), 5)))
    }

    func listen(listening: @Sendable (Bool) -> Void, payload: @Sendable (String) -> Void) async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        listening(true)
                        if failures > 0 {
                            logger.info("listening again", metadata: ["channel": "\(channel)", "after_failures": "\(failures)"])
                        }
                        failures = 0
                        for try await notification in notifications { payload(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch where !Task.isCancelled {
                failures += 1
                logger.warning(lostMessage, metadata: ["error": "\(String(reflecting: error))", "failures": "\(failures)"])
            }
            listening(false)
            try await Task.sleep(for: Self.backoff(after: failures))
        }
    }
}
