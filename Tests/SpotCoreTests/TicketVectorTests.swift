import Foundation
import SpotVectors
import Testing

@testable import SpotCore

/// Runs the verifier over every case of `SyncProtocol/vectors/tickets-v1.json`.
/// The file is the contract: if the format or the verdict order drifts, this fails.
@Suite("Ticket test vectors")
struct TicketVectorTests {
    static let file: TicketVectorFile = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SyncProtocol/vectors/tickets-v1.json")
        // A missing or unreadable vector file must fail the suite loudly.
        return try! TicketVectorFile.decode(Data(contentsOf: url))
    }()

    @Test("Each vector yields its expected verdict", arguments: file.cases.map(\.name))
    func vector(named name: String) throws {
        let vector = try #require(Self.file.cases.first { $0.name == name })
        let (verifier, revocations, scans, direction) = try Self.file.inputs(for: vector)
        let result = verifier.verify(
            vector.payloadText, direction: direction, at: vector.context.now, revocations: revocations, scans: scans)
        #expect(result.verdict.code.rawValue == vector.expected.verdict, "\(vector.description)")
        if case .malformed(let reason) = result.verdict {
            #expect(reason.rawValue == vector.expected.reason)
        }
    }

    @Test("Payload text is the Base45 of payload_hex, and signed tickets re-sign to the same bytes")
    func encodings() throws {
        for vector in Self.file.cases {
            if let hex = vector.payloadHex {
                let bytes = try #require(Data(hexString: hex))
                let trimmed = vector.payloadText.trimmingCharacters(in: .newlines)
                #expect(Base45.encode(bytes) == trimmed, "\(vector.name)")
            }
            guard let ticket = vector.ticket, vector.expected.verdict == "ok" else { continue }
            let claims = TicketClaims(
                ticketID: try #require(UUID(uuidString: ticket.ticketID)),
                eventID: try #require(UUID(uuidString: ticket.eventID)),
                ticketTypeID: try #require(UUID(uuidString: ticket.ticketTypeID)),
                issueVersion: ticket.issueVersion, validFrom: ticket.validFrom, validUntil: ticket.validUntil)
            let signed = try SignedTicket.sign(claims, with: try Self.file.signingKey(ticket.key))
            #expect(Data(signed.bytes).hexString == vector.payloadHex, "\(vector.name)")
        }
    }

    @Test("Keys in the file match their seeds")
    func keys() throws {
        for (name, key) in Self.file.keys {
            let signingKey = try Self.file.signingKey(name)
            #expect(signingKey.publicKey.rawRepresentation.hexString == key.publicKeyHex)
            #expect(signingKey.keyID.hex == key.keyID)
        }
    }

    @Test("The vectors exercise every verdict code the spec defines")
    func coverage() {
        let covered = Set(Self.file.cases.map(\.expected.verdict))
        #expect(covered == Set(VerdictCode.wireValues))
    }
}
