import Foundation
import SpotCore

/// Shared inputs for the core tests: fixed identifiers and keys derived from seeds.
enum Fixture {
    static let event = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e001")!
    static let otherEvent = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000e002")!
    static let ticketType = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000a001")!
    static let venue = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000b001")!
    static let nodeA = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000c001")!
    static let nodeB = UUID(uuidString: "0193a5c0-7e00-7000-8000-00000000c002")!
    static let now = Date(timeIntervalSince1970: 1_796_500_000)

    static func key(_ byte: UInt8) -> SigningKey {
        try! SigningKey(seed: [UInt8](repeating: byte, count: 32))
    }

    static func ticketID(_ number: Int) -> UUID {
        UUID(uuidString: "0193a5c0-7e00-7000-8000-\(String(format: "%012d", number))")!
    }

    static func ticket(
        _ number: Int = 1, key: SigningKey = key(1), event: UUID = event, version: UInt32 = 1,
        validFrom: Date? = nil, validUntil: Date? = nil
    ) -> SignedTicket {
        try! SignedTicket.sign(
            TicketClaims(
                ticketID: ticketID(number), eventID: event, ticketTypeID: ticketType, issueVersion: version,
                validFrom: validFrom, validUntil: validUntil),
            with: key)
    }

    static func verifier(
        keys: [IssuerKey] = [IssuerKey(publicKey: key(1).publicKey)], certificates: [DeviceCertificate] = [],
        events: [EventAdmission]? = [EventAdmission(eventID: event)], gate: String = "North", venue: UUID? = venue
    ) -> TicketVerifier {
        TicketVerifier(
            trust: try! TrustStore(issuerKeys: keys, certificates: certificates),
            gate: GatePolicy(gate: gate, venueID: venue, events: events))
    }

    static func scan(
        _ number: Int, ticket: Int = 1, direction: ScanDirection = .entry, gate: String = "South",
        node: UUID = nodeA, at millis: Int64, counter: UInt16 = 0
    ) -> ScanRecord {
        ScanRecord(
            scanID: UUID(uuidString: "0193a5c0-7e00-7000-9000-\(String(format: "%012d", number))")!,
            ticketID: ticketID(ticket), issueVersion: 1, direction: direction, gate: gate, nodeID: node,
            at: HLCTimestamp(wallMilliseconds: millis, counter: counter))
    }
}
