import Crypto
import Foundation
import SpotCore

/// The rules of a door sale that need no database: how a node signs a door-sold ticket and
/// what the server checks of a pushed sale before it touches any row. Both sides and the
/// vectors' tests call these, so the spec's §"Door sales" has one implementation.
extension SyncSale {
    /// The claims of a door-sold ticket: issue version 1, no `valid_from`, valid until the
    /// device certificate expires or ``TicketClaims/validityAfterEventEnd`` after the event
    /// ends, whichever is first.
    public static func ticketClaims(
        ticketID: UUID, eventID: UUID, ticketTypeID: UUID, eventEndsAt: Date, certificateNotAfter: Date
    ) -> TicketClaims {
        TicketClaims(
            ticketID: ticketID, eventID: eventID, ticketTypeID: ticketTypeID, issueVersion: 1,
            validUntil: min(certificateNotAfter, eventEndsAt.addingTimeInterval(TicketClaims.validityAfterEventEnd)))
    }

    /// Why a pushed sale is refused before it is applied, as the push result's error.
    public struct Problem: Error, Equatable, Sendable {
        public let code: ErrorCode
        public let message: String
    }

    /// Checks what the sale says of itself: one listed ticket per seat, each id once, a
    /// currency of three capital letters, and every ticket signed by `deviceKey` for the
    /// sale's event and ticket type. `amount_minor` is the total paid for all the tickets.
    public func check(signedBy deviceKey: Curve25519.Signing.PublicKey) throws(Problem) {
        guard tickets.count == quantity, Set(tickets.map(\.id)).count == quantity,
            currency.utf8.count == FieldLimits.currencyCodeLength,
            currency.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else { throw Problem(code: .invalidSale, message: "quantity, tickets or currency do not add up.") }
        let deviceKeyID = KeyID(of: deviceKey)
        for ticket in tickets {
            guard let signed = try? SignedTicket(text: ticket.payload), signed.keyID == deviceKeyID,
                signed.isSigned(by: deviceKey), signed.claims.ticketID == ticket.id, signed.claims.eventID == eventID,
                signed.claims.ticketTypeID == ticketTypeID
            else {
                throw Problem(
                    code: .invalidTicket,
                    message: "Ticket \(ticket.id.lowercasedText) is not signed by this node's device key for the sale's event and type.")
            }
        }
    }
}

extension PushRequest {
    /// Why a whole push is refused (422, nothing applied): the field and what is wrong.
    public struct BatchProblem: Error, Equatable, Sendable {
        public let field: String
        public let message: String
    }

    /// The `message` of an `unreadable_mutation` rejection (its `fields` name the field).
    public static func unreadableMessage(_ problem: DecodingProblem) -> String {
        "The mutation could not be read: \(problem)."
    }

    /// Every item's mutation id, readable or not, in the batch's order.
    public var mutationIDs: [Int64] {
        let unread = Dictionary(unreadable.map { ($0.position, $0.mutationID) }, uniquingKeysWith: { first, _ in first })
        var readable = mutations.makeIterator()
        return (0..<(mutations.count + unreadable.count)).map { unread[$0] ?? readable.next()?.mutationID ?? 0 }
    }

    /// Checks the batch as a whole: at most ``maximumMutations`` items, their ids positive
    /// and strictly increasing, unreadable ones included. Returns the highest mutation id
    /// (0 when empty).
    public func checkBatch() throws(BatchProblem) -> Int64 {
        guard mutations.count + unreadable.count <= Self.maximumMutations else {
            throw BatchProblem(field: "mutations", message: "at most \(Self.maximumMutations) per push")
        }
        var previous: Int64 = 0
        for (position, id) in mutationIDs.enumerated() {
            guard id > previous else {
                throw BatchProblem(field: "mutations[\(position)].mutation_id", message: "must be positive and strictly increasing")
            }
            previous = id
        }
        return previous
    }
}
