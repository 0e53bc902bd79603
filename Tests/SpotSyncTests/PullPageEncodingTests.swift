import Foundation
import SpotSync
import Testing

@Suite("A pull page encoded with its trust bundle encoded apart")
struct PullPageEncodingTests {
    /// The `pull page` example of a vector file.
    static func page(version: Int) throws -> PullPage {
        let cases = try #require(try SyncVectorTests.document(version)["cases"] as? [[String: Any]])
        let json = try #require(cases.first { $0["name"] as? String == "pull page" }?["json"])
        return try SyncJSON.decoder.decode(PullPage.self, from: JSONSerialization.data(withJSONObject: json))
    }

    @Test("The same bytes as encoding the whole page, whatever the page holds", arguments: [1, 2])
    func sameBytes(version: Int) throws {
        let example = try Self.page(version: version)
        #expect(!example.trust.issuerKeys.isEmpty && !example.trust.deviceCertificates.isEmpty)
        var variants: [(String, PullPage)] = [("the example", example)]
        var idle = example
        idle.changes = []
        idle.allotments = []
        variants.append(("nothing new, no allotments", idle))
        var renewed = example
        renewed.credential = SyncCredential(token: "node_\(String(repeating: "x", count: 40))", expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
        renewed.stateDigest = nil
        variants.append(("a credential, no digest", renewed))
        var untrusted = example
        untrusted.trust = TrustBundle(issuerKeys: [], certificates: [])
        variants.append(("an empty trust bundle", untrusted))
        for (name, page) in variants {
            let whole = try SyncJSON.encoder.encode(page)
            let spliced = try page.encoded(trust: PullPage.encodedTrust(page.trust))
            #expect(spliced == whole, "\(name): \(String(decoding: spliced, as: UTF8.self))")
            #expect(try SyncJSON.decoder.decode(PullPage.self, from: spliced) == page, "\(name) does not decode back")
        }
    }

    @Test("The trust given is the trust written: another page's bundle is not replaced by this one's")
    func trustGivenIsWritten() throws {
        let page = try Self.page(version: 2)
        var other = page.trust
        other.issuerKeys.removeFirst()
        let spliced = try page.encoded(trust: PullPage.encodedTrust(other))
        #expect(try SyncJSON.decoder.decode(PullPage.self, from: spliced).trust == other)
    }
}
