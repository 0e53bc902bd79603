import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// An event's ``DoorDashboard`` as Server-Sent Events (`text/event-stream`): an event
/// `dashboard` whenever it changes, its data rendered by the caller (JSON for the API, the
/// board's HTML for the organizer's page).
///
/// What wakes it is PostgreSQL's `NOTIFY` on the venue's sync channel (``SyncSignals``, fed by
/// ``SyncSignalListener`` on every replica): every admission, online or pushed by a node, every
/// ticket sold online or at a door and every conflict adds to the venue's change feed, whose
/// trigger notifies. A refused scan and a node's contact notify nothing, so the board is also
/// read again every ``refresh``. A comment every ``keepAlive`` keeps proxies from closing an
/// idle stream; after ``lifetime`` the stream ends and the browser's `EventSource` reconnects
/// (after the `retry` it was sent), so a stream outlives a revoked session by 5 minutes at most.
struct DoorDashboardStream: Sendable {
    let repository: DoorDashboardRepository
    let signals: SyncSignals
    let clock: ServerClock

    static let refresh: Duration = .seconds(2)
    /// After a notification, the stream waits this long for more before reading (a node's push is many commits).
    static let gather: Duration = .milliseconds(200)
    static let keepAlive: Duration = .seconds(15)
    /// A stream is authorized when it opens: it ends this soon after, so a signed-out session or
    /// an expired token stops receiving within it (the browser reconnects, authorized afresh).
    static let lifetime: Duration = .seconds(5 * 60)
    static let retryMilliseconds = 2_000

    /// The stream; `render` turns a dashboard into the event's data.
    func response(
        _ event: Event, logger: Logger, render: @escaping @Sendable (DoorDashboard) throws -> String
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("X-Accel-Buffering")!] = "no"
        let (repository, signals, clock) = (repository, signals, clock)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let started = ContinuousClock.now
            var lastSent: String?
            var lastWrite = started
            try await writer.write(ByteBuffer(string: "retry: \(Self.retryMilliseconds)\n\n"))
            // The server's graceful shutdown ends the stream (the browser reconnects to another replica).
            let stopping = StopFlag()
            try await withGracefulShutdownHandler {
                while !stopping.isSet, !signals.isClosing, ContinuousClock.now - started < Self.lifetime {
                    let mark = signals.mark(of: event.venueID)
                    let data = try render(try await repository.dashboard(of: event, now: clock.now(), logger: logger))
                    if data != lastSent {
                        try await writer.write(ByteBuffer(string: Self.message(event: "dashboard", data: data)))
                        lastSent = data
                        lastWrite = .now
                    } else if ContinuousClock.now - lastWrite >= Self.keepAlive {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = .now
                    }
                    try await Self.wait(for: event.venueID, since: mark, signals: signals)
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        })
    }

    /// Until the venue is signalled (and ``gather`` more) or ``refresh`` passes. Without
    /// notifications (the listener is reconnecting, or live pull is switched off and it never
    /// runs), a plain sleep: the board is then read every ``refresh``.
    private static func wait(for venue: UUID, since mark: SyncSignals.Mark, signals: SyncSignals) async throws {
        guard signals.isListening else { return try await Task.sleep(for: refresh) }
        switch await signals.wait(for: venue, since: mark, timeout: refresh) {
        case .feed, .state: try await Task.sleep(for: gather)
        case .timeout, .closing: break
        }
    }

    /// One event of the stream: `data` line by line (a line break inside would end the field).
    static func message(event: String, data: String) -> String {
        let lines = data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        return "event: \(event)\n" + lines.map { "data: \($0)\n" }.joined() + "\n"
    }
}

/// Set once, read by the stream's loop: the server is shutting down.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
