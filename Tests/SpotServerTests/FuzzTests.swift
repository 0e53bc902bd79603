import Foundation
@testable import SpotServer
import SpotCore
import SpotSync
import Testing

/// 200,000 random and mutated inputs into every parser of outside input — the sync messages,
/// trust bundles and packed tickets, ticket payloads and certificates, forms, URLs, dates, clock
/// readings, cursors, card details, amounts, redirects. A trap (an overflow, an out-of-range
/// index, a force unwrap) ends the test process, so finishing is the assertion; each parser's
/// answers are also checked to be consistent (what decodes encodes again).
@Suite("Fuzzing every parser of outside input")
struct FuzzTests {
    static let budget = 200_000

    /// A parser under test: its seeds (valid inputs to mutate) and what it does with bytes.
    struct Target {
        let name: String
        let seeds: [[UInt8]]
        let parse: ([UInt8]) -> Void
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The sync messages of the protocol's vectors, as their JSON bytes, by type name.
    static func syncSeeds() throws -> [String: [[UInt8]]] {
        let data = try Data(contentsOf: root.appendingPathComponent("SyncProtocol/vectors/sync-v1.json"))
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var seeds: [String: [[UInt8]]] = [:]
        for case let item as [String: Any] in file["cases"] as? [Any] ?? [] {
            guard let type = item["type"] as? String, let json = item["json"] else { continue }
            seeds[type, default: []].append(Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
        }
        return seeds
    }

    static func ticketSeeds() throws -> [[UInt8]] {
        let data = try Data(contentsOf: root.appendingPathComponent("SyncProtocol/vectors/tickets-v1.json"))
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (file["cases"] as? [[String: Any]] ?? []).compactMap { ($0["payload_text"] as? String).map { Array($0.utf8) } }
    }

    static func decodes<T: Codable>(_ type: T.Type) -> ([UInt8]) -> Void {
        { bytes in
            guard InputText.problem(inJSON: bytes) == nil,
                let value = try? SyncJSON.decoder.decode(T.self, from: Data(bytes))
            else { return }
            // What decodes must encode again, and read back the same way.
            guard let again = try? SyncJSON.encoder.encode(value) else {
                Issue.record("\(T.self) decoded but does not encode: \(String(decoding: bytes, as: UTF8.self).prefix(200))")
                return
            }
            if (try? SyncJSON.decoder.decode(T.self, from: again)) == nil {
                Issue.record("\(T.self) does not read back what it wrote: \(String(decoding: again, as: UTF8.self).prefix(200))")
            }
        }
    }

    static func text(_ parse: @escaping (String) -> Void) -> ([UInt8]) -> Void {
        { bytes in parse(String(decoding: bytes, as: UTF8.self)) }
    }

    static func targets() throws -> [Target] {
        let sync = try syncSeeds()
        func seeds(_ type: String) -> [[UInt8]] { sync[type] ?? [Array("{}".utf8)] }
        let tickets = try ticketSeeds()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return [
            Target(name: "EnrollRequest", seeds: seeds("EnrollRequest"), parse: decodes(EnrollRequest.self)),
            Target(name: "SnapshotRequest", seeds: seeds("SnapshotRequest"), parse: decodes(SnapshotRequest.self)),
            Target(name: "Snapshot", seeds: seeds("Snapshot"), parse: { bytes in
                decodes(Snapshot.self)(bytes)
                if let snapshot = try? SyncJSON.decoder.decode(Snapshot.self, from: Data(bytes)) {
                    _ = try? snapshot.tickets.decoded()
                    _ = try? snapshot.trust.trustStore()
                }
            }),
            Target(name: "PullRequest", seeds: seeds("PullRequest"), parse: decodes(PullRequest.self)),
            Target(name: "PullPage", seeds: seeds("PullPage"), parse: { bytes in
                decodes(PullPage.self)(bytes)
                if let page = try? SyncJSON.decoder.decode(PullPage.self, from: Data(bytes)) { _ = try? page.trust.trustStore() }
            }),
            Target(name: "PushRequest", seeds: seeds("PushRequest"), parse: decodes(PushRequest.self)),
            Target(name: "PushResponse", seeds: seeds("PushResponse"), parse: decodes(PushResponse.self)),
            Target(name: "TopUpRequest", seeds: seeds("TopUpRequest"), parse: decodes(TopUpRequest.self)),
            Target(name: "SyncErrorBody", seeds: seeds("SyncErrorBody"), parse: decodes(SyncErrorBody.self)),
            Target(name: "ticket payload", seeds: tickets, parse: text { text in
                if let ticket = try? SignedTicket(text: text) { _ = ticket.claims.validUntil }
                _ = try? Base45.decode(text)
            }),
            Target(name: "device certificate", seeds: tickets.map { Array((try? Base45.decode(String(decoding: $0, as: UTF8.self))) ?? []) },
                   parse: { bytes in _ = try? DeviceCertificate(bytes: bytes) }),
            Target(name: "form", seeds: [
                Array("_csrf=abc.def&card_number=4242+4242+4242+4242&expiry=12%2F39&cvc=123&idempotency_key=x.y".utf8),
                Array("qty.0193a5c0-7e00-7000-8000-00000000a001=2&name=Caf%C3%A9+%26+Bar&price=25.00".utf8),
            ], parse: text { body in
                guard let form = try? FormData(urlEncoded: body) else { return }
                _ = form["price"].flatMap { Formatting.minorUnits($0, "EUR") }
                _ = PaymentCard.parse(number: form["card_number"] ?? "", expiry: form["expiry"] ?? "", cvc: form["cvc"] ?? "", now: now)
            }),
            Target(name: "URL and redirect", seeds: [Array("/events?q=jazz&page=2&next=%2Fwallet".utf8), Array("/signin?next=%2F".utf8)],
                   parse: { bytes in
                       let text = String(decoding: bytes, as: UTF8.self)
                       _ = InputText.problem(inPercentEncoded: Substring(text))
                       _ = AccountPages.safeNext(text)
                   }),
            Target(name: "date, clock, cursor", seeds: [
                Array("2026-12-31T20:00:00.125+05:30".utf8), Array("1767225600000.3".utf8), Array("123456.789".utf8),
            ], parse: text { text in
                _ = SyncJSON.parseDate(text)
                _ = HLCTimestamp(text: text)
                _ = FeedCursor(text)
            }),
        ]
    }

    @Test("200,000 random and mutated inputs: no parser traps, what decodes re-encodes")
    func fuzz() throws {
        var generator = SeededGenerator(seed: 0x5EED_F022)
        let targets = try Self.targets()
        var runs = [String: Int]()
        for index in 0..<Self.budget {
            let target = targets[index % targets.count]
            let input = index % 10 == 0
                ? (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                : Self.mutate(target.seeds.randomElement(using: &generator) ?? [], splice: targets.randomElement(using: &generator)?.seeds
                              .randomElement(using: &generator) ?? [], using: &generator)
            target.parse(input)
            runs[target.name, default: 0] += 1
        }
        #expect(runs.values.reduce(0, +) == Self.budget)
        #expect(runs.values.allSatisfy { $0 >= Self.budget / targets.count - 1 })
    }

    /// Tokens a mutation may write: numbers at and past the edges of every integer type, JSON
    /// punctuation, escapes, NUL, a lone surrogate, bytes that are not UTF-8.
    static let interesting: [[UInt8]] = [
        "-9223372036854775808", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e300", "-1", "0",
        "4294967296", "65536", "281474976710656", "\"", "\\", "{", "}", "[", "]", ":", ",", "null", "true", "\\u0000",
        "\\ud800", "%00", "%FF", "%", "+", "=", "&", ".", "-", "T", "Z", "\u{1F3FB}",
    ].map { Array($0.utf8) } + [[0x00], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80]]

    /// One to four random edits of `seed`: bit flips, interesting tokens, insertions, deletions,
    /// duplications, truncation, or a splice with another seed.
    static func mutate(_ seed: [UInt8], splice other: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<8, using: &generator) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                let token = interesting.randomElement(using: &generator)!
                let length = min(bytes.count - position, Int.random(in: 0...token.count, using: &generator))
                bytes.replaceSubrange(position..<position + length, with: token)
            case 2:
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: .min ... .max, using: &generator) },
                             at: position)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &generator)))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...32, using: &generator))
                bytes.insert(contentsOf: bytes[position..<end], at: end)
            case 5:
                bytes = Array(bytes.prefix(position))
            case 6 where !other.isEmpty:
                let cut = Int.random(in: 0..<other.count, using: &generator)
                bytes = Array(bytes.prefix(position)) + other[cut...]
            default:
                // Replace a number with an interesting one, where there is a digit.
                if let digit = bytes[position...].firstIndex(where: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                    var end = digit
                    while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                    bytes.replaceSubrange(digit..<end, with: interesting[Int.random(in: 0..<10, using: &generator)])
                }
            }
        }
        return bytes
    }
}
