import Foundation
import Hummingbird
import SpotCore

/// A waiting room on the web: joining the line, the line's page (place and estimate, kept
/// current by `site.js` without a reload, or refreshed every 10 s without script), and the pass
/// cookie the event page's booking form is checked against once the buyer is let in.
struct WaitingRoomPages: Sendable {
    let pages: PageRenderer
    let access: EventAccess
    let rooms: WaitingRoomRepository
    let gate: WaitingRoomGate
    let cookies: WebCookies
    let clock: ServerClock

    /// A browser's device id: one place per device in each line.
    static let deviceCookie = "spot_device"

    /// The cookie holding the buyer's pass for `event`.
    static func passCookie(event: UUID) -> String { "spot_pass_" + event.lowercasedText.replacingOccurrences(of: "-", with: "") }

    /// The buyer's pass for `event`, from its cookie.
    static func pass(_ request: Request, event: UUID) -> String? {
        request.cookies[passCookie(event: event)]?.value
    }

    func addRoutes(to site: RouterGroup<AppRequestContext>) {
        site.post("events/:id/queue", use: join)
        site.get("events/:id/queue", use: line)
        site.get("events/:id/queue/status", use: status)
    }

    @Sendable func join(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let event = try await access.visibleEvent(try context.parameters.requireUUID("id"), to: identity, logger: context.logger)
        let known = request.cookies[Self.deviceCookie]?.value.filter { FieldLimits.deviceID.contains($0.unicodeScalars.count) }
        let device = known ?? UUID().lowercasedText + UUID().lowercasedText
        let now = clock.now()
        var response: Response
        do {
            _ = try await rooms.join(event: event.id, user: identity.userID, device: device, now: now, logger: context.logger)
            response = .redirect(to: "/events/\(event.id.lowercasedText)/queue")
        } catch let error as DomainError where error.isFormProblem {
            response = try await page(event, user: identity.userID, problem: error.message, status: error.status, context: context)
        }
        if known == nil {
            response.setCookie(Cookie(
                name: Self.deviceCookie, value: device, maxAge: 365 * 24 * 3600, path: "/", secure: cookies.secure,
                httpOnly: true, sameSite: .lax))
        }
        return response
    }

    @Sendable func line(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let event = try await access.visibleEvent(try context.parameters.requireUUID("id"), to: identity, logger: context.logger)
        return try await page(event, user: identity.userID, problem: nil, status: .ok, context: context)
    }

    /// The buyer's place in the line.
    struct QueuePage {
        let title: String
        let eventURL: String
        let statusURL: String
        let problem: String?
        let opensAt: String
        let isOpen: Bool
        let notJoined: Bool
        let waiting: Bool
        let admitted: Bool
        let expired: Bool
        let position: Int?
        let estimate: String?
        let until: String?
    }

    private func page(
        _ event: Event, user: UUID, problem: String?, status: HTTPResponse.Status, context: AppRequestContext
    ) async throws -> Response {
        guard let opensAt = try await rooms.opening(event: event.id, logger: context.logger) else {
            return .redirect(to: "/events/\(event.id.lowercasedText)")
        }
        let now = clock.now()
        let place = try await rooms.place(event: event.id, user: user, logger: context.logger)
        let entry = place.map { gate.entry(event: event.id, user: user, place: $0, now: now) }
        let zone = event.venue.timeZone
        var response = try pages.render(
            "queue", title: "Waiting room: \(event.title)",
            page: QueuePage(
                title: event.title, eventURL: "/events/\(event.id.lowercasedText)",
                statusURL: "/events/\(event.id.lowercasedText)/queue/status", problem: problem,
                opensAt: Formatting.dateTime(opensAt, timeZone: zone), isOpen: opensAt <= now,
                notJoined: entry == nil, waiting: entry?.status == .waiting, admitted: entry?.status == .admitted,
                expired: entry?.status == .expired, position: entry?.position,
                estimate: entry?.estimatedWaitSeconds.map(Self.describeWait),
                until: entry?.passExpiresAt.map { Formatting.dateTime($0, timeZone: zone) }),
            web: context.web, status: status, refreshSeconds: entry?.status == .waiting ? 10 : nil)
        setPass(entry, event: event.id, on: &response, now: now)
        return response
    }

    /// The buyer's place as JSON for `site.js` (without the pass, which travels as a cookie).
    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let event = try await access.visibleEvent(try context.parameters.requireUUID("id"), to: identity, logger: context.logger)
        guard let place = try await rooms.place(event: event.id, user: identity.userID, logger: context.logger) else {
            throw DomainError.notFound("Place in this waiting room")
        }
        let now = clock.now()
        let entry = gate.entry(event: event.id, user: identity.userID, place: place, now: now)
        struct Status: Encodable {
            let status: WaitingRoomEntry.Status
            let position: Int?
            let estimate: String?
        }
        var response = Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONCoding.encoder.encode(Status(
                status: entry.status, position: entry.position, estimate: entry.estimatedWaitSeconds.map(Self.describeWait))))))
        setPass(entry, event: event.id, on: &response, now: now)
        return response
    }

    private func setPass(_ entry: WaitingRoomEntry?, event: UUID, on response: inout Response, now: Date) {
        guard let entry, let pass = entry.pass, let expires = entry.passExpiresAt else { return }
        response.setCookie(Cookie(
            name: Self.passCookie(event: event), value: pass, maxAge: max(1, Int(expires.timeIntervalSince(now))), path: "/",
            secure: cookies.secure, httpOnly: true, sameSite: .lax))
    }

    static func describeWait(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "under a minute"
        case ..<120: "about a minute"
        case ..<3600: "about \(seconds / 60) minutes"
        default: "about \(seconds / 3600) h \(seconds % 3600 / 60) min"
        }
    }
}
