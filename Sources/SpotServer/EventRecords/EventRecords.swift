import Foundation
import SpotCore
import SpotSync

/// One check-in of an event's tickets, at a node's door or online, as its organizer sees it.
struct CheckInRecord: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    @LowercaseUUID var ticketID: UUID
    let issueVersion: Int
    let direction: ScanDirection
    let gate: String
    /// The node that scanned it; the server's own id for an online check-in.
    @LowercaseUUID var nodeID: UUID
    /// The node's name; absent for an online check-in.
    let nodeName: String?
    let online: Bool
    let verdict: VerdictCode
    let scannedAt: Date
}

/// One sale at a node's door, with the tickets it issued.
struct DoorSaleRecord: Codable, Sendable, Equatable {
    @LowercaseUUID var id: UUID
    @LowercaseUUID var nodeID: UUID
    let nodeName: String
    @LowercaseUUID var ticketTypeID: UUID
    let ticketTypeName: String
    let quantity: Int
    let paymentMethod: PaymentMethod
    let amountMinor: Int64
    let currency: String
    /// Whether the sale fit the node's allotment (a sale beyond it is also a conflict).
    let withinAllotment: Bool
    let recordedAt: Date
    let ticketIDs: [String]
}

/// A page of a list, newest first; `nextCursor` reads the next (older) page, absent on the last.
struct RecordPage<Item: Codable & Sendable>: Codable, Sendable {
    let items: [Item]
    let nextCursor: String?
}

extension RecordPage {
    /// The page of `rows` — read newest first, `limit + 1` at most, each with its cursor — that
    /// shows the first `limit` (all of them when nil), with a cursor to read on only when there
    /// was one more.
    init(rows: [(item: Item, cursor: ListCursor)], limit: Int?) {
        let shown = limit.map { Array(rows.prefix($0)) } ?? rows
        self.init(items: shown.map(\.item), nextCursor: rows.count > shown.count ? shown.last?.cursor.text : nil)
    }
}
