import Foundation
import Hummingbird
import SpotSync
import Synchronization

/// Encodes the pages pulls are answered with, each venue's trust bundle once while it is
/// unchanged: a venue's nodes share it, and it is most of a page's JSON. A revocation answers
/// every held pull of an organizer's venues at once, and idle re-polls answer with the same
/// bundle for hours; both encode the rest of the page only (``PullPage/encoded(trust:)``).
/// Holds one bundle per venue that has pulled since the server started (at most ``capacity``).
final class PullAnswerEncoder: Sendable {
    static let capacity = 100_000

    private struct Encoded {
        let trust: TrustBundle
        let json: Data
    }

    private let trustByVenue = Mutex<[UUID: Encoded]>([:])

    /// The page's JSON, as ``SyncJSON/encoder`` writes it.
    func body(of page: PullPage, venue: UUID) throws -> Data {
        let kept = trustByVenue.withLock { $0[venue] }
        if let kept, kept.trust == page.trust { return try page.encoded(trust: kept.json) }
        let json = try PullPage.encodedTrust(page.trust)
        trustByVenue.withLock { kept in
            if kept.count >= Self.capacity { kept.removeAll(keepingCapacity: true) }
            kept[venue] = Encoded(trust: page.trust, json: json)
        }
        return try page.encoded(trust: json)
    }

    /// The page as a response, as the API answers JSON.
    func response(to page: PullPage, venue: UUID) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(data: try body(of: page, venue: venue))))
    }
}
