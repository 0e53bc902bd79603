import Foundation
import SpotSync
import Hummingbird
import SpotCore
import SpotQR

/// `/api/v1/wallet`, `/api/v1/tickets`, `/api/v1/check-ins`, `/api/v1/organizers/{id}/trust`,
/// `/api/v1/organizers/me/staff`: a buyer's tickets and their QR codes, re-issue, online
/// check-in for door staff, the published key ring, staff accounts.
struct TicketController: Sendable {
    let tickets: TicketRepository
    let checkIns: CheckInService
    let keys: IssuerKeyRepository
    let organizers: OrganizerRepository
    let staffAccounts: StaffRepository
    let clock: ServerClock

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("wallet", use: wallet)
        api.get("tickets/:id", use: show)
        api.get("tickets/:id/qr.png", use: png)
        api.get("tickets/:id/qr.svg", use: svg)
        api.post("tickets/:id/reissue", use: reissue)
        api.post("check-ins", use: checkIn)
        api.get("organizers/:id/trust", use: trust)
        api.get("organizers/me/staff", use: staff)
        api.post("organizers/me/staff", use: createStaff)
    }

    struct TicketList: ResponseEncodable {
        let items: [Ticket]
    }

    @Sendable func wallet(_ request: Request, context: AppRequestContext) async throws -> TicketList {
        .init(items: try await tickets.wallet(user: try context.requireIdentity().userID, logger: context.logger))
    }

    /// The ticket, if the caller holds it, organizes its event, or is an admin.
    private func visibleTicket(_ context: AppRequestContext) async throws -> Ticket {
        try await tickets.ticket(
            id: try context.parameters.requireUUID("id"), visibleTo: try context.requireIdentity(), logger: context.logger)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Ticket {
        try await visibleTicket(context)
    }

    @Sendable func png(_ request: Request, context: AppRequestContext) async throws -> Response {
        let ticket = try await visibleTicket(context)
        let image = try QRCode(text: ticket.payload).pngData(moduleSize: 10)
        return Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: image)))
    }

    @Sendable func svg(_ request: Request, context: AppRequestContext) async throws -> Response {
        let ticket = try await visibleTicket(context)
        let image = try QRCode(text: ticket.payload).svg(moduleSize: 10)
        return Response(
            status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: image)))
    }

    @Sendable func reissue(_ request: Request, context: AppRequestContext) async throws -> Ticket {
        let ticket = try await visibleTicket(context)
        return try await tickets.reissue(ticket.id, now: clock.now(), logger: context.logger)
    }

    struct CheckInRequest: Decodable {
        let payload: String
        let gate: String
        let direction: String?
    }

    struct CheckInResponse: ResponseEncodable {
        struct Details: Codable {
            @LowercaseUUID var ticketID: UUID
            @LowercaseUUID var eventID: UUID
            @LowercaseUUID var ticketTypeID: UUID
            let issueVersion: Int
        }
        let verdict: VerdictCode
        let admitted: Bool
        let signal: DoorSignal
        let message: String
        let direction: ScanDirection
        let ticket: Details?
        @LowercaseOptionalUUID var scanID: UUID?
    }

    /// Door staff, the event's organizer and admins check tickets in online.
    @Sendable func checkIn(_ request: Request, context: AppRequestContext) async throws -> CheckInResponse {
        let identity = try context.requireIdentity()
        let scope = try await checkIns.scope(
            of: identity, organizers: organizers, staff: staffAccounts, logger: context.logger)
        let body = try await request.decodeJSON(as: CheckInRequest.self, context: context)
        let (gate, direction) = try CheckInService.validated(payload: body.payload, gate: body.gate, direction: body.direction)
        let outcome = try await checkIns.checkIn(
            payload: body.payload, gate: gate, direction: direction, organizers: scope, recordedBy: identity.userID,
            now: clock.now(), logger: context.logger)
        let result = outcome.result
        return CheckInResponse(
            verdict: result.verdict.code, admitted: result.verdict.passes, signal: result.verdict.signal,
            message: result.message(), direction: result.direction,
            ticket: result.ticket.map {
                .init(ticketID: $0.claims.ticketID, eventID: $0.claims.eventID, ticketTypeID: $0.claims.ticketTypeID,
                      issueVersion: Int($0.claims.issueVersion))
            },
            scanID: outcome.scanID)
    }

    /// The organizer's public key ring as a trust bundle (hvflvspot.trust.v1).
    @Sendable func trust(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.requireUUID("id")
        guard try await organizers.organizer(id: id, logger: context.logger) != nil else { throw DomainError.notFound("Organizer") }
        let bundle = try await keys.trustBundle(organizer: id, logger: context.logger)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: bundle.encoded())))
    }

    struct StaffList: ResponseEncodable {
        let items: [StaffRepository.Member]
    }

    @Sendable func staff(_ request: Request, context: AppRequestContext) async throws -> StaffList {
        let organizer = try await organizers.requireOwnProfile(try context.requireIdentity(), logger: context.logger)
        return .init(items: try await staffAccounts.staff(organizer: organizer.id, logger: context.logger))
    }

    struct StaffRequest: Decodable {
        let email: String
        let displayName: String
        let password: String
    }

    /// Creates a door-staff account that checks in this organizer's events.
    @Sendable func createStaff(
        _ request: Request, context: AppRequestContext
    ) async throws -> EditedResponse<StaffRepository.Member> {
        let identity = try context.requireIdentity()
        let organizer = try await organizers.requireOwnProfile(identity, logger: context.logger)
        let body = try await request.decodeJSON(as: StaffRequest.self, context: context)
        let member = try StaffRepository.NewMember(email: body.email, displayName: body.displayName, password: body.password)
        return .init(
            status: .created,
            response: try await staffAccounts.create(
                member, organizer: organizer.id, actor: identity.userID, now: clock.now(), logger: context.logger))
    }
}

extension StaffRepository.Member: ResponseEncodable {}
extension Ticket: ResponseEncodable {}
