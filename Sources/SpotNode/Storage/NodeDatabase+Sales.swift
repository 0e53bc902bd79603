import Foundation
import GRDB
import SpotCore
import SpotSync

/// Why a door sale or release cannot be made. Nothing is written when one is thrown.
public enum DoorSaleError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidQuantity(Int)
    case unknownTicketType(UUID)
    case eventNotOnSale(UUID)
    /// This node's device key is not (yet) certified for the event: sync once online.
    case notCertified(UUID)
    /// Only `remaining` seats of the type are left in this node's allotment.
    case exceedsAllotment(remaining: Int)

    public var code: ErrorCode {
        switch self {
        case .invalidQuantity: .validationFailed
        case .unknownTicketType: .unknownTicketType
        case .eventNotOnSale: .eventNotOnSale
        case .notCertified: .notCertified
        case .exceedsAllotment: .allotmentExhausted
        }
    }

    public var description: String {
        switch self {
        case .invalidQuantity(let quantity): "quantity \(quantity) is out of range"
        case .unknownTicketType: "this ticket type is not sold at this venue"
        case .eventNotOnSale: "this event is not on sale (cancelled or withdrawn)"
        case .notCertified: "this node may not sign tickets for this event yet: sync with the server once online"
        case .exceedsAllotment(let remaining):
            remaining == 0 ? "this node's allotment of this ticket type is sold out"
                : "only \(remaining) seat\(remaining == 1 ? "" : "s") left in this node's allotment"
        }
    }
}

/// Door sales within the node's allotment: tickets signed by the node's certified device
/// key, the sale and its outbox entry in one transaction.
extension NodeDatabase {
    /// A completed door sale and its tickets.
    public struct DoorSale: Sendable, Equatable {
        public let sale: SyncSale
        public let eventTitle: String
        public let ticketTypeName: String
    }

    /// Sells `quantity` tickets of `ticketTypeID`, or throws ``DoorSaleError`` and writes nothing.
    public func sellAtDoor(ticketTypeID: UUID, quantity: Int, paymentMethod: PaymentMethod, now: Date) throws -> DoorSale {
        guard FieldLimits.ticketsPerDoorSale.contains(quantity) else { throw DoorSaleError.invalidQuantity(quantity) }
        return try writer.write { db in
            let identity = try Self.identity(db)
            var state = try Self.state(db)
            guard let type = try TicketTypeRow.fetchOne(db, key: ticketTypeID.text),
                let event = try EventRow.fetchOne(db, key: type.eventID.text), event.venueID == identity.venueID
            else { throw DoorSaleError.unknownTicketType(ticketTypeID) }
            guard event.status == .published, event.endsAt > now else { throw DoorSaleError.eventNotOnSale(event.id) }
            let deviceKeyID = identity.deviceKey.keyID.hex
            guard let row = try DeviceCertificateRow.fetchOne(db, key: deviceKeyID),
                let certificate = try? DeviceCertificate(bytes: Array(row.certificate)),
                certificate.claims.eventIDs.contains(event.id), certificate.claims.notAfter > now
            else { throw DoorSaleError.notCertified(event.id) }
            let remaining = try Self.remaining(ticketTypeID, db)
            guard quantity <= remaining else { throw DoorSaleError.exceedsAllotment(remaining: remaining) }

            let hlc = Self.tick(&state, now: now)
            var generator = SystemRandomNumberGenerator()
            let saleID = UUID.version7(unixMilliseconds: hlc.wallMilliseconds, using: &generator)
            var tickets: [SyncSoldTicket] = []
            for _ in 0..<quantity {
                let claims = SyncSale.ticketClaims(
                    ticketID: UUID.version7(unixMilliseconds: hlc.wallMilliseconds, using: &generator), eventID: event.id,
                    ticketTypeID: type.id, eventEndsAt: event.endsAt, certificateNotAfter: certificate.claims.notAfter)
                let signed = try SignedTicket.sign(claims, with: identity.deviceKey)
                tickets.append(SyncSoldTicket(id: claims.ticketID, payload: signed.text))
            }
            let sale = SyncSale(
                id: saleID, nodeID: identity.nodeID, eventID: event.id, ticketTypeID: type.id, quantity: quantity,
                paymentMethod: paymentMethod, amountMinor: type.priceMinor * Int64(quantity), currency: type.currency,
                hlc: hlc, tickets: tickets)
            try DoorSaleRow(
                id: saleID, eventID: event.id, ticketTypeID: type.id, quantity: quantity, paymentMethod: paymentMethod,
                amountMinor: sale.amountMinor, currency: type.currency, hlc: Int64(bitPattern: hlc.packed), soldAt: now
            ).insert(db)
            for ticket in tickets {
                try DoorTicketRow(id: ticket.id, saleID: saleID, payload: ticket.payload).insert(db)
                try TicketRow(id: ticket.id, eventID: event.id, ticketTypeID: type.id, issueVersion: 1, status: "valid")
                    .save(db)
            }
            try Self.enqueue(.sale(sale), db, now: now)
            try state.update(db)
            return DoorSale(sale: sale, eventTitle: event.title, ticketTypeName: type.name)
        }
    }

    /// Gives `quantity` unsold seats back to the online pool (pushed like any fact).
    public func releaseSeats(ticketTypeID: UUID, quantity: Int, now: Date) throws {
        guard (1...FieldLimits.allotmentSeats.upperBound).contains(quantity) else { throw DoorSaleError.invalidQuantity(quantity) }
        try writer.write { db in
            let remaining = try Self.remaining(ticketTypeID, db)
            guard quantity <= remaining else { throw DoorSaleError.exceedsAllotment(remaining: remaining) }
            let mutationID = try Self.enqueue(.release(SyncRelease(ticketTypeID: ticketTypeID, quantity: quantity)), db, now: now)
            try DoorReleaseRow(mutationID: mutationID, ticketTypeID: ticketTypeID, quantity: quantity).insert(db)
        }
    }

    /// Seats of a type this node may still sell: what the server granted, minus every door
    /// sale of this node, minus releases the server had not applied when it said so.
    static func remaining(_ ticketTypeID: UUID, _ db: GRDB.Database) throws -> Int {
        guard let allotment = try AllotmentRow.fetchOne(db, key: ticketTypeID.text) else { return 0 }
        let sold = try Int.fetchOne(
            db, sql: "SELECT coalesce(sum(quantity), 0) FROM door_sales WHERE ticket_type_id = ?",
            arguments: [ticketTypeID.text]) ?? 0
        let released = try Int.fetchOne(
            db, sql: "SELECT coalesce(sum(quantity), 0) FROM door_releases WHERE ticket_type_id = ? AND mutation_id > ?",
            arguments: [ticketTypeID.text, allotment.asOfMutationID]) ?? 0
        return max(0, allotment.granted - sold - released)
    }

    /// A door sale's tickets (for showing their QR codes again).
    public func doorTickets(sale: UUID) throws -> [SyncSoldTicket] {
        try writer.read { db in
            try DoorTicketRow.filter(Column("sale_id") == sale.text).order(Column("id")).fetchAll(db)
                .map { SyncSoldTicket(id: $0.id, payload: $0.payload) }
        }
    }

    /// The payload of a ticket this node sold.
    public func doorTicket(id: UUID) throws -> SyncSoldTicket? {
        try writer.read { db in
            try DoorTicketRow.fetchOne(db, key: id.text).map { SyncSoldTicket(id: $0.id, payload: $0.payload) }
        }
    }
}
