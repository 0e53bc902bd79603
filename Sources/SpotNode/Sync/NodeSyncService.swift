import Foundation
import Logging
import ServiceLifecycle

/// The node's background sync: every `interval`, and at once when triggered. After a
/// failure it backs off exponentially (up to `maximumBackoff`) with ±20% jitter, so a
/// flaky link is retried without every node of a venue hammering the server in step.
public struct NodeSyncService: Service {
    let engine: SyncEngine
    let trigger: SyncTrigger
    let interval: Duration
    let maximumBackoff: Duration
    let logger: Logger

    public init(
        engine: SyncEngine, trigger: SyncTrigger, interval: Duration, maximumBackoff: Duration = .seconds(300), logger: Logger
    ) {
        self.engine = engine
        self.trigger = trigger
        self.interval = interval
        self.maximumBackoff = maximumBackoff
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var failures = 0
            var generator = SystemRandomNumberGenerator()
            while !Task.isCancelled {
                do {
                    let report = try await engine.sync()
                    if failures > 0 { logger.info("sync is back", metadata: ["after_failures": "\(failures)"]) }
                    failures = 0
                    if report.pushed != .init() || report.changes > 0 || report.bootstrapped {
                        logger.info("synced", metadata: [
                            "pushed": "\(report.pushed.applied + report.pushed.conflicts)",
                            "conflicts": "\(report.pushed.conflicts)", "changes": "\(report.changes)",
                            "bootstrapped": "\(report.bootstrapped)",
                        ])
                    }
                } catch {
                    failures += 1
                    logger.warning("sync failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                let delay = Self.delay(after: failures, interval: interval, maximum: maximumBackoff, using: &generator)
                try await waitForTrigger(upTo: delay)
            }
        }
    }

    /// The pause before the next attempt: the interval when healthy, otherwise
    /// interval × 2^(failures−1) capped at `maximum`, each with ±20% jitter.
    static func delay(after failures: Int, interval: Duration, maximum: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = failures == 0 ? interval : min(interval * (1 << min(failures - 1, 16)), maximum)
        let jitter = Double.random(in: 0.8...1.2, using: &generator)
        return base * jitter
    }

    private func waitForTrigger(upTo delay: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + delay
        while clock.now < deadline {
            if trigger.take() { return }
            try await Task.sleep(for: min(.milliseconds(100), deadline - clock.now))
        }
    }
}
