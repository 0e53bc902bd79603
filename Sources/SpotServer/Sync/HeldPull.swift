import Foundation
import Hummingbird
import Logging
import SpotSync

/// A v2 pull held open (`SyncProtocol/sync-v2.md` §5.1): its status line is already out, so
/// it sends a space at least every ``LivePull/heartbeatInterval`` while it waits, then the
/// page — or, if reading fails meanwhile, the error body.
struct HeldPull: Sendable {
    let node: AuthenticatedNode
    let request: PullRequest
    /// The request's cursor: nothing came after it, so a re-read starts there again.
    let cursor: FeedCursor
    let version: SyncProtocolVersion
    let page: PullPage
    let mark: SyncSignals.Mark
    let wait: Duration
    let reader: WokenPullReader
    let idlePulls: IdlePullCache
    let signals: SyncSignals
    let clock: ServerClock
    let context: AppRequestContext

    private static let heartbeat = ByteBuffer(string: " ")

    func run(writer: inout any ResponseBodyWriter) async throws {
        let body: Data
        do {
            body = try SyncJSON.encoder.encode(try await waitForChange(writer: &writer))
        } catch let error as HeartbeatFailed {
            throw error.underlying  // the node hung up: nothing left to tell it
        } catch {
            let api = ErrorMiddleware<AppRequestContext>.apiError(for: error, context: context)
            context.logger.warning("held pull failed", metadata: ["code": "\(api.code)"])
            body = api.body
        }
        try await writer.write(ByteBuffer(bytes: body))
        try await writer.finish(nil)
    }

    private struct HeartbeatFailed: Error {
        let underlying: any Error
    }

    private func waitForChange(writer: inout any ResponseBodyWriter) async throws -> PullPage {
        let time = ContinuousClock()
        // Waits end on the shared ticker's beat, up to a tick late: aim a tick early.
        var plan = PullWait(
            deadline: time.now + wait, heartbeat: LivePull.heartbeatInterval - SyncSignals.tickInterval, now: time.now)
        var mark = mark
        var page = page
        while true {
            // Shutdown ends the wait too: the listener closes the signals (every held pull answers).
            let now = time.now
            let wake = await signals.wait(for: node.venueID, since: mark, until: now + plan.timeout(at: now))
            switch plan.decide(wake, listening: signals.isListening, at: time.now) {
            case .answer:
                return page
            case .keepWaiting:
                break
            case .reread(let answerAnyway):
                mark = signals.mark(of: node.venueID)
                page = try await reader.page(
                    for: SyncService.WokenPull(
                        node: node, cursor: cursor, limit: request.limit ?? SyncService.defaultPageSize, version: version),
                    now: { clock.now() }, logger: context.logger)
                if answerAnyway || !page.changes.isEmpty || page.hasMore || signals.isClosing {
                    if !page.hasMore, page.credential == nil {
                        idlePulls.storeAnswer(page, for: node.id, asked: IdlePullCache.Key(
                            cursor: request.cursor, outboxDepth: request.outboxDepth, version: version,
                            stateDigest: request.stateDigest), mark: mark)
                    }
                    return page
                }
                plan.foundNothing(at: time.now)
            }
            if plan.heartbeatDue(at: time.now) {
                do {
                    try await writer.write(Self.heartbeat)
                } catch {
                    throw HeartbeatFailed(underlying: error)
                }
                plan.sentByte(at: time.now)
            }
        }
    }
}
