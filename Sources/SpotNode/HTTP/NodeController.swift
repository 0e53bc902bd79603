import Foundation
import Hummingbird
import Logging
import NIOCore
import SpotCore
import SpotQR
import SpotSync

/// The node's local API on the venue LAN: offline scans and door sales, the catalogue
/// with what the node can still sell, door tickets' QR codes, status, and sync on demand.
/// Only the status (the kiosk's health check) is public; the rest needs a staff session.
struct NodeController: Sendable {
    let database: NodeDatabase
    let engine: SyncEngine
    let trigger: SyncTrigger
    /// Facts this node recorded (scans, sales, releases): held peer requests wait on it.
    let ownFacts: Generations
    /// The operator's override of the venue's kiosk failover setting (`--kiosk-failover`).
    let kioskFailover: KioskFailover?
    let now: @Sendable () -> Date

    func addPublicRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.get("status", use: status)
    }

    func addStaffRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.post("scans", use: scan)
        api.post("sales", use: sell)
        api.get("catalogue", use: catalogue)
        api.get("door-tickets/:id/qr.png", use: png)
        api.get("door-tickets/:id/qr.svg", use: svg)
        api.post("sync", use: syncNow)
        api.post("allotments/release", use: release)
        api.post("allotments/top-up", use: topUp)
    }

    @Sendable func status(_ request: Request, context: NodeRequestContext) async throws -> NodeStatus {
        var status = try database.status(now: now())
        if let kioskFailover { status.kioskFailover = kioskFailover }
        return status
    }

    struct ScanRequest: Decodable {
        let payload: String
        let gate: String
        let direction: ScanDirection?
    }

    struct ScanResponse: ResponseEncodable {
        let verdict: VerdictCode
        let signal: DoorSignal
        let message: String
        let direction: ScanDirection
        @LowercaseOptionalUUID var scanID: UUID?
        @LowercaseOptionalUUID var ticketID: UUID?
        @LowercaseOptionalUUID var eventID: UUID?
        @LowercaseOptionalUUID var ticketTypeID: UUID?
        let admittedAt: Date?
        let admittedGate: String?
        /// The node that admitted the ticket, when it is this one or a peer it follows.
        let admittedNode: String?
        let conflicts: [SyncConflict]
    }

    @Sendable func scan(_ request: Request, context: NodeRequestContext) async throws -> ScanResponse {
        let body = try await request.decodeNodeJSON(as: ScanRequest.self, context: context)
        let gate = body.gate.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = FieldLimits.gateNameProblem(gate) { throw NodeAPIError.validation("gate \(problem)") }
        let direction = body.direction ?? .entry
        let outcome = try await database.recordScan(payload: body.payload, gate: gate, direction: direction, now: now())
        if outcome.scan != nil {
            trigger.queued()
            ownFacts.advance()
        }
        let verdict = outcome.result.verdict
        var admittedAt: Date?
        var admittedGate: String?
        var admittedNode: String?
        var message = outcome.result.message(timeZone: .current)
        if case .alreadyAdmitted(let at, let gate, let node) = verdict {
            admittedAt = at
            admittedGate = gate
            admittedNode = try database.nodeName(node)
            if let admittedNode, message.hasSuffix(".") { message = "\(message.dropLast()) (\(admittedNode))." }
        }
        let claims = outcome.result.ticket?.claims
        return ScanResponse(
            verdict: verdict.code, signal: verdict.signal, message: message,
            direction: direction, scanID: outcome.scan?.id, ticketID: claims?.ticketID, eventID: claims?.eventID,
            ticketTypeID: claims?.ticketTypeID, admittedAt: admittedAt, admittedGate: admittedGate, admittedNode: admittedNode,
            conflicts: outcome.conflicts)
    }

    struct SaleRequest: Decodable {
        @LowercaseUUID var ticketTypeID: UUID
        @InRange<Bounds.DoorSaleQuantity> var quantity: Int
        let paymentMethod: PaymentMethod
    }

    struct SoldTicket: Encodable {
        @LowercaseUUID var id: UUID
        let payload: String
        let qrPNG: String
        let qrSVG: String

        init(_ ticket: SyncSoldTicket) {
            id = ticket.id
            payload = ticket.payload
            qrPNG = "/api/v1/door-tickets/\(ticket.id.text)/qr.png"
            qrSVG = "/api/v1/door-tickets/\(ticket.id.text)/qr.svg"
        }
    }

    /// A door sale with its tickets: the answer to a sale, and each entry of the door's recent
    /// sales (``HistoryController``), which also say when and how far the upload got.
    struct SaleResponse: ResponseEncodable {
        @LowercaseUUID var saleID: UUID
        @LowercaseUUID var eventID: UUID
        let eventTitle: String
        @LowercaseUUID var ticketTypeID: UUID
        let ticketTypeName: String
        let quantity: Int
        let amountMinor: Int64
        let currency: String
        let paymentMethod: PaymentMethod
        let tickets: [SoldTicket]
        var soldAt: Date?
        var upload: NodeDatabase.UploadState?
    }

    @Sendable func sell(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<SaleResponse> {
        let body = try await request.decodeNodeJSON(as: SaleRequest.self, context: context)
        let sale: NodeDatabase.DoorSale
        do {
            sale = try database.sellAtDoor(
                ticketTypeID: body.ticketTypeID, quantity: body.quantity, paymentMethod: body.paymentMethod, now: now())
        } catch let error as DoorSaleError {
            throw Self.apiError(error)
        }
        trigger.fire()
        ownFacts.advance()
        return EditedResponse(status: .created, response: SaleResponse(
            saleID: sale.sale.id, eventID: sale.sale.eventID, eventTitle: sale.eventTitle, ticketTypeID: sale.sale.ticketTypeID,
            ticketTypeName: sale.ticketTypeName, quantity: sale.sale.quantity, amountMinor: sale.sale.amountMinor,
            currency: sale.sale.currency, paymentMethod: sale.sale.paymentMethod,
            tickets: sale.sale.tickets.map(SoldTicket.init)))
    }

    static func apiError(_ error: DoorSaleError) -> NodeAPIError {
        switch error {
        case .invalidQuantity: .validation(error.description)
        case .unknownTicketType: NodeAPIError(.notFound, code: error.code, message: error.description)
        case .eventNotOnSale, .notCertified, .exceedsAllotment: NodeAPIError(.conflict, code: error.code, message: error.description)
        }
    }

    struct CatalogueResponse: ResponseEncodable {
        struct TicketType: Encodable {
            @LowercaseUUID var id: UUID
            let name: String
            let priceMinor: Int64
            let currency: String
            let remaining: Int
        }
        struct Event: Encodable {
            @LowercaseUUID var id: UUID
            let title: String
            let startsAt: Date
            let endsAt: Date
            let status: SyncEventStatus
            let ticketTypes: [TicketType]
        }
        let events: [Event]
    }

    @Sendable func catalogue(_ request: Request, context: NodeRequestContext) async throws -> CatalogueResponse {
        CatalogueResponse(events: try database.catalogue().map { event, types in
            .init(
                id: event.id, title: event.title, startsAt: event.startsAt, endsAt: event.endsAt, status: event.status,
                ticketTypes: types.map {
                    .init(id: $0.type.id, name: $0.type.name, priceMinor: $0.type.priceMinor, currency: $0.type.currency,
                          remaining: $0.remaining)
                })
        })
    }

    private func doorTicket(_ context: NodeRequestContext) throws -> SyncSoldTicket {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text),
            let ticket = try database.doorTicket(id: id)
        else { throw NodeAPIError(.notFound, code: .notFound, message: "Door ticket not found.") }
        return ticket
    }

    @Sendable func png(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let image = try QRCode(text: try doorTicket(context).payload).pngData(moduleSize: 10)
        return Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: image)))
    }

    @Sendable func svg(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let image = try QRCode(text: try doorTicket(context).payload).svg(moduleSize: 10)
        return Response(
            status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: image)))
    }

    @Sendable func syncNow(_ request: Request, context: NodeRequestContext) async throws -> HTTPResponse.Status {
        trigger.fire()
        return .accepted
    }

    struct AllotmentRequest: Decodable {
        @LowercaseUUID var ticketTypeID: UUID
        @InRange<Bounds.AllotmentSeats> var quantity: Int
    }

    @Sendable func release(_ request: Request, context: NodeRequestContext) async throws -> NodeStatus {
        let body = try await request.decodeNodeJSON(as: AllotmentRequest.self, context: context)
        do {
            try database.releaseSeats(ticketTypeID: body.ticketTypeID, quantity: body.quantity, now: now())
        } catch let error as DoorSaleError {
            throw Self.apiError(error)
        }
        trigger.fire()
        ownFacts.advance()
        return try database.status()
    }

    /// The longest door staff wait for the server on any action (sync-v2.md §5.3).
    static let staffWait: Duration = .seconds(5)
    /// Of ``staffWait``, the most the top-up request itself may take.
    static let topUpDeadline: Duration = .seconds(4)

    /// Asks the server for more seats (online only), then waits, within ``staffWait`` in all,
    /// for a sync to bring the new grant.
    @Sendable func topUp(_ request: Request, context: NodeRequestContext) async throws -> NodeStatus {
        let started = ContinuousClock.now
        let body = try await request.decodeNodeJSON(as: AllotmentRequest.self, context: context)
        let state = try database.syncState()
        do {
            _ = try await engine.client.topUp(
                TopUpRequest(protocolVersion: engine.client.protocolVersion.rawValue, ticketTypeID: body.ticketTypeID,
                             quantity: body.quantity),
                token: state.token, deadline: .nanoseconds(Self.topUpDeadline.nanoseconds))
        } catch .server(let status, let detail) {
            throw NodeAPIError(.init(code: status), relayedCode: detail.code, message: detail.message)
        } catch {
            throw NodeAPIError(.serviceUnavailable, code: .serverUnreachable,
                               message: "The server cannot be reached: top-ups need the venue to be online.")
        }
        let round = trigger.rounds
        trigger.fire()
        _ = await trigger.syncEnded(after: round, within: Self.staffWait - (ContinuousClock.now - started))
        return try database.status()
    }
}

extension NodeStatus: ResponseEncodable {}
