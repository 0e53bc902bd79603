import Logging
import ServiceLifecycle

/// Keeps the node's WAL short while it runs: a passive checkpoint every `interval` (5 s: at a
/// real door's few scans a second, far more often than SQLite's own 1,000-page default), on a
/// connection of its own, so no scan or sale ever waits for one (see ``NodeDatabase``).
public struct WALCheckpointService: Service {
    let database: NodeDatabase
    let interval: Duration
    let logger: Logger

    public init(database: NodeDatabase, interval: Duration = .seconds(5), logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await database.checkpoint()
                } catch {
                    logger.warning("WAL checkpoint failed; the next one retries", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
