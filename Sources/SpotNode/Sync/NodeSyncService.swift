import Foundation
import Logging
import ServiceLifecycle
import SpotSync

/// The node's background sync.
///
/// With protocol 2 it syncs (push, bootstrap, drain), then follows the feed through held
/// pulls, so a change at the server reaches the node within a second; a request from the API
/// (a scan or a sale to push, "sync now") interrupts the held pull and syncs at once. With protocol 1 it
/// syncs every `interval` and at once when asked. After a failure it backs off exponentially
/// (from ``LivePull/firstRetry`` when live, else from `interval`, up to `maximumBackoff`) with ±20 % jitter, so a flaky link is retried without every node
/// of a venue hammering the server in step.
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

    private enum Step {
        /// Push, bootstrap if needed, drain the feed.
        case sync
        /// Hold a pull open until the venue changes (protocol 2).
        case follow
        /// Wait for the next sync (the interval, a backoff, or a request).
        case pause(Duration)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            var generator = SystemRandomNumberGenerator()
            var step = Step.sync
            let live = engine.client.protocolVersion >= .livePull
            // A live node retries soon (it was connected a moment ago); a polling one at its interval.
            let retry = live ? LivePull.firstRetry : interval
            while !Task.isCancelled {
                switch step {
                case .sync:
                    do {
                        let report = try await engine.sync()
                        logRecovery(after: failures)
                        failures = 0
                        log(report)
                        step = live ? .follow : .pause(Self.delay(after: 0, interval: interval, maximum: maximumBackoff, using: &generator))
                    } catch {
                        guard !SyncEngine.isCancellation(error) else { break }
                        failures += 1
                        logFailure(error, failures: failures)
                        step = .pause(Self.delay(after: failures, interval: retry, maximum: maximumBackoff, using: &generator))
                    }
                    trigger.ended()
                case .follow:
                    switch await followUntilAsked() {
                    case .changed(let changes?):
                        if changes > 0 { logger.info("synced", metadata: ["changes": "\(changes)"]) }
                        trigger.ended()
                        step = (try? engine.database.outboxDepth()) == 0 && (try? engine.relayDue()) == false ? .follow : .sync
                    case .changed(nil):
                        step = .sync
                    case .asked:
                        step = .sync
                    case .failed(let error):
                        failures += 1
                        logFailure(error, failures: failures)
                        trigger.ended()
                        step = .pause(Self.delay(after: failures, interval: retry, maximum: maximumBackoff, using: &generator))
                    case .stopped:
                        return
                    }
                case .pause(let delay):
                    _ = await trigger.requested(within: delay)
                    step = .sync
                }
            }
        }
    }

    private enum FollowOutcome {
        /// The changes a held pull applied; nil when the node must sync (bootstrap) first.
        case changed(Int?)
        case asked
        case failed(any Error)
        case stopped
    }

    /// One held pull, interrupted when the API asks for a sync.
    /// How long scans queued while following the feed are gathered before they are pushed.
    static let scanGathering: Duration = .milliseconds(250)

    private func followUntilAsked() async -> FollowOutcome {
        await withTaskGroup(of: FollowOutcome?.self) { group in
            group.addTask {
                do {
                    return .changed(try await engine.follow(waitSeconds: LivePull.defaultWait))
                } catch {
                    return SyncEngine.isCancellation(error) ? nil : .failed(error)
                }
            }
            group.addTask {
                // Scans are gathered for a moment and pushed together: at a busy door a push per
                // scan would cost more than the scans (a sale or "sync now" does not wait).
                if await trigger.requested(takingQueued: true) == .queued {
                    _ = await trigger.requested(within: Self.scanGathering)
                }
                return Task.isCancelled ? nil : .asked
            }
            var outcome = FollowOutcome.stopped
            if let first = await group.next(), let first { outcome = first }
            group.cancelAll()
            return Task.isCancelled ? .stopped : outcome
        }
    }

    private func log(_ report: SyncEngine.Report) {
        guard report.pushed != .init() || report.relayed > 0 || report.changes > 0 || report.bootstrapped else { return }
        logger.info("synced", metadata: [
            "pushed": "\(report.pushed.applied + report.pushed.conflicts)", "relayed": "\(report.relayed)",
            "conflicts": "\(report.pushed.conflicts)", "changes": "\(report.changes)",
            "bootstrapped": "\(report.bootstrapped)",
        ])
    }

    private func logRecovery(after failures: Int) {
        if failures > 0 { logger.info("sync is back", metadata: ["after_failures": "\(failures)"]) }
    }

    private func logFailure(_ error: any Error, failures: Int) {
        logger.warning("sync failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
    }

    /// The pause before the next attempt: the interval when healthy, otherwise
    /// interval × 2^(failures−1) capped at `maximum`, each with ±20% jitter.
    static func delay(after failures: Int, interval: Duration, maximum: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = failures == 0 ? interval : min(interval * (1 << min(failures - 1, 16)), maximum)
        let jitter = Double.random(in: 0.8...1.2, using: &generator)
        return base * jitter
    }
}
