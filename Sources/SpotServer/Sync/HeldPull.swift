import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SpotSync

/// A v2 pull held open (`SyncProtocol/sync-v2.md` §5.1): its status line is already out, so
/// while it waits the ``HeartbeatPacer`` sends a space at least every
/// ``LivePull/heartbeatInterval`` from the connection's event loop; then it answers with the
/// page — or, if reading fails meanwhile, the error body. A node that hangs up is noticed when
/// the answer is written, at the latest when the wait ends (≤ 30 s).
struct HeldPull: Sendable {
    let node: AuthenticatedNode
    let request: PullRequest
    /// The request's cursor: nothing came after it, so a re-read starts there again.
    let cursor: FeedCursor
    let version: SyncProtocolVersion
    /// What the pull read before it was held: nothing new, perhaps with changes left out.
    let read: FeedRead
    let mark: SyncSignals.Mark
    let wait: Duration
    let reader: WokenPullReader
    let idlePulls: IdlePullCache
    let answers: PullAnswerEncoder
    let signals: SyncSignals
    let heartbeats: HeartbeatPacer
    let clock: ServerClock
    let context: AppRequestContext

    func run(writer: inout any ResponseBodyWriter) async throws {
        heartbeats.start(context.channel)
        let body: Data
        do {
            // A server that is stopping answers every held pull at once rather than wait for them
            // (a node that hung up is otherwise noticed only when its wait ends).
            var page = try await withGracefulShutdownHandler {
                try await waitForChange()
            } onGracefulShutdown: {
                signals.close()
            }
            // The answer's time, not the time the pull arrived: the node measures its clock against it.
            page.serverTime = SyncService.serverTime(clock.now())
            body = try answers.body(of: page, venue: node.venueID)
        } catch {
            let api = ErrorMiddleware<AppRequestContext>.apiError(for: error, context: context)
            context.logger.warning("held pull failed", metadata: ["code": "\(api.code)"])
            body = api.body
        }
        await heartbeats.stop(context.channel)
        try await writer.write(ByteBuffer(bytes: body))
        try await writer.finish(nil)
    }

    private func waitForChange() async throws -> PullPage {
        let time = ContinuousClock()
        var plan = PullWait(deadline: time.now + wait)
        if read.heldBack { plan.foundNothing(at: time.now, heldBack: true) }
        var mark = mark
        var page = read.page
        while true {
            // Shutdown ends the wait too: the listener closes the signals (every held pull answers).
            let now = time.now
            let wake = await signals.wait(
                for: node.venueID, since: mark, until: now + plan.timeout(at: now, listening: signals.isListening))
            switch plan.decide(wake, listening: signals.isListening, at: time.now) {
            case .answer:
                return page
            case .keepWaiting:
                break
            case .reread(let answerAnyway):
                mark = signals.mark(of: node.venueID)
                let reread = try await reader.page(
                    for: SyncService.WokenPull(
                        node: node, cursor: cursor, limit: request.limit ?? SyncService.defaultPageSize, version: version),
                    now: { clock.now() }, logger: context.logger)
                page = reread.page
                if PullWait.answers(with: page, asked: request.stateDigest, anyway: answerAnyway || signals.isClosing) {
                    if !page.hasMore, page.credential == nil, !reread.heldBack {
                        idlePulls.storeAnswer(page, for: node.id, asked: IdlePullCache.Key(
                            cursor: request.cursor, outboxDepth: request.outboxDepth, version: version,
                            stateDigest: request.stateDigest), mark: mark)
                    }
                    return page
                }
                plan.foundNothing(at: time.now, heldBack: reread.heldBack)
            }
        }
    }
}
