import Foundation
import Hummingbird
import SpotCore
import SpotSync

/// The kiosk's look back over a shift (staff only): `GET /api/v1/door-sales`, this node's
/// recent sales with their tickets' QR codes, and `GET /api/v1/scans?ticket=`, every scan of
/// one ticket at any door of the venue.
struct HistoryController: Sendable {
    let database: NodeDatabase

    static let defaultSales = 20
    static let defaultScans = 50

    func addRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.get("door-sales", use: doorSales)
        api.get("scans", use: scans)
    }

    struct SalesResponse: ResponseEncodable {
        let sales: [NodeController.SaleResponse]
    }

    @Sendable func doorSales(_ request: Request, context: NodeRequestContext) async throws -> SalesResponse {
        let limit = try Self.limit(request, default: Self.defaultSales)
        return SalesResponse(sales: try database.recentDoorSales(limit: limit).map { sale in
            NodeController.SaleResponse(
                saleID: sale.id, eventID: sale.eventID, eventTitle: sale.eventTitle, ticketTypeID: sale.ticketTypeID,
                ticketTypeName: sale.ticketTypeName, quantity: sale.quantity, amountMinor: sale.amountMinor,
                currency: sale.currency, paymentMethod: sale.paymentMethod,
                tickets: sale.tickets.map(NodeController.SoldTicket.init), soldAt: sale.soldAt, upload: sale.upload)
        })
    }

    struct ScanSummary: Encodable {
        @LowercaseUUID var id: UUID
        let at: Date
        let gate: String
        let direction: ScanDirection
        let verdict: VerdictCode
        @LowercaseUUID var nodeID: UUID
        let here: Bool
    }

    struct ScansResponse: ResponseEncodable {
        @LowercaseUUID var ticketID: UUID
        let scans: [ScanSummary]
    }

    @Sendable func scans(_ request: Request, context: NodeRequestContext) async throws -> ScansResponse {
        let limit = try Self.limit(request, default: Self.defaultScans)
        guard let text = request.uri.queryParameters.get("ticket")?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { throw NodeAPIError.validation("ticket is required: a ticket id, or a scanned ticket") }
        let ticket = try Self.ticketID(text)
        return ScansResponse(ticketID: ticket, scans: try database.scans(ofTicket: ticket, limit: limit).map { scan in
            ScanSummary(
                id: scan.id, at: scan.at, gate: scan.gate, direction: scan.direction, verdict: scan.verdict, nodeID: scan.nodeID,
                here: scan.here)
        })
    }

    /// A ticket's id, typed as one or read from a scanned ticket (its signature is not
    /// checked: a look-up shows what the node recorded, it admits nobody).
    static func ticketID(_ text: String) throws -> UUID {
        if let id = UUID(uuidString: text) { return id }
        guard text.utf8.count <= 1_000, let ticket = try? SignedTicket(text: text) else {
            throw NodeAPIError.validation("ticket must be a ticket id or a scanned ticket")
        }
        return ticket.claims.ticketID
    }

    static func limit(_ request: Request, default value: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return value }
        guard let limit = Int(text), FieldLimits.historyPage.contains(limit) else {
            throw NodeAPIError.validation(
                "limit must be \(FieldLimits.historyPage.lowerBound) to \(FieldLimits.historyPage.upperBound)")
        }
        return limit
    }
}
