import Foundation

extension PullPage {
    /// The JSON of this page (``SyncJSON/encoder``) with its `trust` given already encoded
    /// (``encodedTrust(_:)``): the same bytes as encoding the whole page. A venue's nodes share
    /// one trust bundle, so a server answering thousands of pulls at once encodes each bundle
    /// once, not once per node.
    public func encoded(trust: Data) throws -> Data {
        var shell = self
        shell.trust = Self.placeholderTrust
        var json = try SyncJSON.encoder.encode(shell)
        // Keys are sorted and `trust` sorts last: the placeholder ends the object.
        let tail = Self.placeholderTail
        guard json.count > tail.count, json.suffix(tail.count).elementsEqual(tail) else {
            return try SyncJSON.encoder.encode(self)
        }
        json.removeLast(tail.count)
        json.append(trust)
        json.append(UInt8(ascii: "}"))
        return json
    }

    /// A trust bundle in the compact form ``encoded(trust:)`` takes.
    public static func encodedTrust(_ trust: TrustBundle) throws -> Data {
        try SyncJSON.encoder.encode(trust)
    }

    private static let placeholderTrust = TrustBundle(issuerKeys: [], certificates: [])
    /// How a page with the placeholder trust ends: the placeholder and the page's closing brace.
    private static let placeholderTail: Data = {
        var tail = try! SyncJSON.encoder.encode(placeholderTrust)  // an empty bundle always encodes
        tail.append(UInt8(ascii: "}"))
        return tail
    }()
}
