import Foundation
import GRDB
import SpotCore
import SpotSync

/// What door staff look back at during a shift: this node's recent door sales with their
/// tickets (a sale whose answer was lost — the kiosk reloaded, the phone locked — is found and
/// its QR codes shown again) and every scan of one ticket, at any door of the venue.
extension NodeDatabase {
    /// How far a door sale got on its way to the server.
    public enum UploadState: String, Codable, Sendable {
        /// In the outbox: sold here, not yet acknowledged by the server.
        case pending
        /// Acknowledged by the server.
        case uploaded
        /// The server refused it (`spot node status` lists why).
        case rejected
    }

    /// A door sale of this node, its tickets and its upload state.
    public struct DoorSaleSummary: Sendable, Equatable {
        public let id: UUID
        public let eventID: UUID
        public let eventTitle: String
        public let ticketTypeID: UUID
        public let ticketTypeName: String
        public let quantity: Int
        public let amountMinor: Int64
        public let currency: String
        public let paymentMethod: PaymentMethod
        public let soldAt: Date
        public let upload: UploadState
        public let tickets: [SyncSoldTicket]
    }

    /// This node's door sales, newest first, up to `limit` (``FieldLimits/historyPage``).
    public func recentDoorSales(limit: Int) throws -> [DoorSaleSummary] {
        guard FieldLimits.historyPage.contains(limit) else { throw HistoryError.invalidLimit(limit) }
        return try writer.read { db in
            let sales = try DoorSaleRow.order(Column("sold_at").desc, Column("id").desc).limit(limit).fetchAll(db)
            guard !sales.isEmpty else { return [] }
            // One pass over the sales waiting in the outbox and the refused ones, not one per sale.
            let pending = Set(try String.fetchAll(
                db, sql: "SELECT json_extract(body, '$.id') FROM outbox WHERE kind = 'sale'"))
            let rejected = Set(try String.fetchAll(
                db, sql: "SELECT json_extract(body, '$.id') FROM rejected_mutations WHERE kind = 'sale'"))
            let ids = sales.map(\.id.text)
            var tickets: [UUID: [SyncSoldTicket]] = [:]
            for row in try DoorTicketRow.filter(ids.contains(Column("sale_id"))).order(Column("id")).fetchAll(db) {
                tickets[row.saleID, default: []].append(SyncSoldTicket(id: row.id, payload: row.payload))
            }
            var events: [UUID: String] = [:]
            var types: [UUID: String] = [:]
            return try sales.map { sale in
                if events[sale.eventID] == nil {
                    events[sale.eventID] = try EventRow.fetchOne(db, key: sale.eventID.text)?.title ?? "Event no longer listed"
                }
                if types[sale.ticketTypeID] == nil {
                    types[sale.ticketTypeID] = try TicketTypeRow.fetchOne(db, key: sale.ticketTypeID.text)?.name ?? "Ticket"
                }
                let upload: UploadState =
                    rejected.contains(sale.id.text) ? .rejected : pending.contains(sale.id.text) ? .pending : .uploaded
                return DoorSaleSummary(
                    id: sale.id, eventID: sale.eventID, eventTitle: events[sale.eventID] ?? "", ticketTypeID: sale.ticketTypeID,
                    ticketTypeName: types[sale.ticketTypeID] ?? "", quantity: sale.quantity, amountMinor: sale.amountMinor,
                    currency: sale.currency, paymentMethod: sale.paymentMethod, soldAt: sale.soldAt, upload: upload,
                    tickets: tickets[sale.id] ?? [])
            }
        }
    }

    /// One scan of a ticket, at this door or another of the venue.
    public struct TicketScan: Sendable, Equatable {
        public let id: UUID
        public let ticketID: UUID
        public let at: Date
        public let gate: String
        public let direction: ScanDirection
        public let verdict: VerdictCode
        public let nodeID: UUID
        /// Whether this node made the scan.
        public let here: Bool
    }

    /// Every scan of `ticket` this node knows, newest first, up to `limit`.
    public func scans(ofTicket ticket: UUID, limit: Int) throws -> [TicketScan] {
        guard FieldLimits.historyPage.contains(limit) else { throw HistoryError.invalidLimit(limit) }
        return try writer.read { db in
            let node = try Self.identity(db).nodeID
            return try ScanRow.filter(Column("ticket_id") == ticket.text).order(Column("hlc").desc, Column("id").desc)
                .limit(limit).fetchAll(db)
                .map { row in
                    guard let id = UUID(uuidString: row.id), let ticketID = UUID(uuidString: row.ticketID),
                        let nodeID = UUID(uuidString: row.nodeID)
                    else { throw HistoryError.unreadableScan(row.id) }
                    return TicketScan(
                        id: id, ticketID: ticketID, at: HLCTimestamp(packed: UInt64(bitPattern: row.hlc)).date, gate: row.gate,
                        direction: row.direction, verdict: row.verdict, nodeID: nodeID, here: nodeID == node)
                }
        }
    }
}

/// Why a look back at sales or scans was refused.
public enum HistoryError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidLimit(Int)
    /// A stored scan whose identifiers do not parse: the database was edited by hand.
    case unreadableScan(String)

    public var description: String {
        switch self {
        case .invalidLimit(let limit):
            "limit \(limit) is out of range (\(FieldLimits.historyPage.lowerBound)…\(FieldLimits.historyPage.upperBound))"
        case .unreadableScan(let id): "the stored scan \(id) cannot be read"
        }
    }
}
