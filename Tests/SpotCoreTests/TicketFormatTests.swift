import Crypto
import Foundation
import Testing

@testable import SpotCore

@Suite("Ticket format v1")
struct TicketFormatTests {
    @Test("Signing then decoding returns the same claims, key id and bytes")
    func roundTrip() throws {
        let from = Date(timeIntervalSince1970: 1_796_400_000)
        let until = Date(timeIntervalSince1970: 1_796_600_000)
        for (validFrom, validUntil) in [(nil, nil), (from, nil), (nil, until), (from, until)] as [(Date?, Date?)] {
            let signed = Fixture.ticket(validFrom: validFrom, validUntil: validUntil)
            let decoded = try SignedTicket(text: signed.text)
            #expect(decoded == signed)
            #expect(decoded.claims.validFrom == validFrom)
            #expect(decoded.claims.validUntil == validUntil)
            #expect(decoded.isSigned(by: Fixture.key(1).publicKey))
            #expect(!decoded.isSigned(by: Fixture.key(2).publicKey))
        }
    }

    @Test("Sizes: 126 to 142 bytes, 189 to 213 Base45 characters")
    func sizes() {
        let smallest = Fixture.ticket()
        let largest = Fixture.ticket(validFrom: Fixture.now, validUntil: Fixture.now.addingTimeInterval(3600))
        #expect(smallest.bytes.count == 126)
        #expect(largest.bytes.count == SignedTicket.maximumPayloadLength)
        #expect(largest.bytes.count == 142)
        #expect(smallest.text.count == 189)
        #expect(largest.text.count == 213)
    }

    @Test("Field layout is big-endian at the offsets the spec gives")
    func layout() {
        let signed = Fixture.ticket(version: 0x0102_0304, validUntil: Date(timeIntervalSince1970: 0x0A0B_0C0D))
        let bytes = signed.bytes
        #expect(bytes[0] == 1)
        #expect(bytes[1] == 0x02)
        #expect(Array(bytes[10..<26]) == Fixture.ticketID(1).bytes)
        #expect(Array(bytes[26..<42]) == Fixture.event.bytes)
        #expect(Array(bytes[42..<58]) == Fixture.ticketType.bytes)
        #expect(Array(bytes[58..<62]) == [1, 2, 3, 4])
        #expect(Array(bytes[62..<70]) == [0, 0, 0, 0, 0x0A, 0x0B, 0x0C, 0x0D])
        #expect(signed.signedMessage == Array("HVFLVSPOT-TICKET-V1".utf8) + [0] + bytes.dropLast(64))
    }

    @Test("The key id is the first 8 bytes of SHA-256 over the raw public key")
    func keyID() {
        let key = Fixture.key(7)
        let digest = Array(SHA256.hash(data: key.publicKey.rawRepresentation))
        let expected = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(key.keyID.rawValue == expected)
        #expect(key.keyID.hex.count == 16)
        #expect(KeyID(hex: key.keyID.hex) == key.keyID)
        #expect(Array(Fixture.ticket(key: key).bytes[2..<10]) == Array(digest.prefix(8)))
    }

    @Test("Claims that cannot be valid are refused at signing")
    func invalidClaims() {
        #expect(throws: TicketClaimsError.issueVersionZero) {
            try SignedTicket.sign(
                TicketClaims(ticketID: Fixture.ticketID(1), eventID: Fixture.event, ticketTypeID: Fixture.ticketType, issueVersion: 0),
                with: Fixture.key(1))
        }
        #expect(throws: TicketClaimsError.validityWindowEmpty) {
            try SignedTicket.sign(
                TicketClaims(
                    ticketID: Fixture.ticketID(1), eventID: Fixture.event, ticketTypeID: Fixture.ticketType,
                    validFrom: Fixture.now, validUntil: Fixture.now),
                with: Fixture.key(1))
        }
    }

    @Test("CR and LF around the text are stripped; other whitespace is not")
    func trimming() throws {
        let signed = Fixture.ticket()
        #expect(try SignedTicket(text: "\r\n" + signed.text + "\n") == signed)
        #expect(throws: TicketDecodingError.malformed(.notBase45)) { try SignedTicket(text: "\t" + signed.text) }
    }

    @Test("Ed25519 signing is deterministic, so the vectors are reproducible")
    func deterministic() {
        #expect(Fixture.ticket().bytes == Fixture.ticket().bytes)
    }

    @Test("UUIDv7 carries the milliseconds, version 7 and the RFC variant")
    func uuidVersion7() {
        var generator = SystemRandomNumberGenerator()
        let early = UUID.version7(unixMilliseconds: 1_796_000_000_000, using: &generator)
        let late = UUID.version7(unixMilliseconds: 1_796_000_000_001, using: &generator)
        #expect(early.bytes[6] >> 4 == 7)
        #expect(early.bytes[8] >> 6 == 0b10)
        #expect(early.bytes.prefix(6).reduce(Int64(0)) { $0 << 8 | Int64($1) } == 1_796_000_000_000)
        #expect(early.bytes.lexicographicallyPrecedes(late.bytes))
        #expect(UUID(bytes: early.bytes) == early)
        #expect(UUID(bytes: [1, 2, 3]) == nil)
    }

    @Test("The fast lowercase text and the in-place byte reader agree with Foundation")
    func uuidTextAndBytes() {
        let ids = (0..<200).map { _ in UUID() } + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))]
        for id in ids {
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(text: id.lowercasedText) == id)
            #expect(UUID(text: id.uuidString) == id)
            let framed = [0xAA] + id.bytes + [0xBB]
            framed.withUnsafeBytes { #expect(UUID(bytesOf: $0, at: 1) == id) }
        }
        let good = "0199a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b"
        #expect(UUID(text: good) == UUID(uuidString: good))
        for bad in [
            "", String(good.dropLast()), good + "0", good.replacingOccurrences(of: "-", with: "_"),
            "0199a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7g", "0199a6b27-c3e-7d4f-8a1b-2c3d4e5f6a7b", "0199a6b2-7c3e-7d4f-8a1b-2c3d4e5f6a7é",
        ] {
            #expect(UUID(text: bad) == nil, "accepted \(bad)")
        }
    }
}
