import Foundation
import SpotVectors
import Testing

@testable import SpotCore

/// Feeds random and mutated payloads to the verdict function: none may crash
/// and none may be admitted. Deterministic seeds keep failures reproducible.
@Suite("Mutation: random and mutated payloads")
struct MutationTests {
    static let perSeed = 26_000
    static let seeds: [UInt64] = [1, 2, 3, 4]

    @Test("No random or mutated payload crashes or is admitted", arguments: seeds)
    func mutations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let issuer = Fixture.key(1)
        let stranger = Fixture.key(2)
        let verifier = Fixture.verifier()
        let valid = Fixture.ticket(7, key: issuer, validFrom: Fixture.now.addingTimeInterval(-60),
                                   validUntil: Fixture.now.addingTimeInterval(60))
        #expect(verifier.verify(valid.text, at: Fixture.now, revocations: RevocationList(), scans: ScanLedger()).verdict == .ok)

        var counts: [String: Int] = [:]
        var admitted: [String] = []
        for index in 0..<Self.perSeed {
            let payload = Self.mutant(of: valid, index: index, stranger: stranger, using: &generator)
            let verdict = verifier.verify(payload, at: Fixture.now, revocations: RevocationList(), scans: ScanLedger()).verdict
            counts[verdict.code.rawValue, default: 0] += 1
            if verdict.passes { admitted.append(payload) }
        }
        #expect(admitted.isEmpty, "admitted mutants: \(admitted.prefix(3))")
        #expect(counts.values.reduce(0, +) == Self.perSeed)
        // The mix must reach deep into the verifier, not stop at Base45.
        for code in ["malformed", "unsupported_version", "unknown_key", "invalid_signature"] {
            #expect(counts[code, default: 0] > 100, "too few \(code): \(counts)")
        }
    }

    @Test("The suite runs at least 100,000 payloads")
    func volume() {
        #expect(Self.perSeed * Self.seeds.count >= 100_000)
    }

    /// One of eight kinds of hostile input, chosen by `index`.
    static func mutant(
        of ticket: SignedTicket, index: Int, stranger: SigningKey, using generator: inout SeededGenerator
    ) -> String {
        var bytes = ticket.bytes
        switch index % 8 {
        case 0:  // Random bytes of random length, valid Base45.
            let count = Int.random(in: 0...200, using: &generator)
            return Base45.encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case 1:  // Random characters, mostly from the alphabet.
            let count = Int.random(in: 0...260, using: &generator)
            let pool = Base45.alphabet + Array("abc\u{0}\r\n\t#".utf8)
            return String(decoding: (0..<count).map { _ in pool.randomElement(using: &generator)! }, as: UTF8.self)
        case 2, 3:  // One to four bit flips anywhere in the payload.
            for _ in 0...Int.random(in: 0...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let bit = UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                bytes[position] ^= bit
            }
            if bytes == ticket.bytes { bytes[bytes.count - 1] ^= 1 }
        case 4:  // Truncated or extended.
            if Bool.random(using: &generator) {
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            } else {
                bytes += (0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
        case 5:  // A byte of the header replaced (version, flags, key id).
            bytes[Int.random(in: 0..<10, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            if bytes == ticket.bytes { bytes[0] = 2 }
        case 6:  // Well-formed, signed by an untrusted key, random claims.
            var random = SystemRandomNumberGenerator()
            let claims = TicketClaims(
                ticketID: UUID.version7(unixMilliseconds: Int64(index), using: &random), eventID: Fixture.event,
                ticketTypeID: Fixture.ticketType, issueVersion: UInt32.random(in: 1...9, using: &generator))
            return try! SignedTicket.sign(claims, with: stranger).text
        default:  // Claims swapped in from another ticket, keeping the original signature.
            let other = Fixture.ticket(Int.random(in: 8...1000, using: &generator))
            bytes.replaceSubrange(10..<26, with: other.bytes[10..<26])
        }
        return Base45.encode(bytes)
    }
}
