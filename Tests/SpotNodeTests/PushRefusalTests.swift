import Foundation
import SpotCore
import SpotSync
import Testing

@testable import SpotNode

/// A push refused whole because of what it carries never stalls the outbox: the named
/// mutation is set aside, a batch too large is split (sync-v2.md §6.2).
@Suite("Push refusals")
struct PushRefusalTests {
    static let batch = (1...4).map {
        SyncMutation(mutationID: Int64($0) * 10, body: .release(SyncRelease(ticketTypeID: UUID(), quantity: 1)))
    }

    static func refused(_ status: Int, _ code: ErrorCode, fields: [String: String]? = nil) -> SyncClientError {
        .server(status: status, SyncErrorDetail(code: code.rawValue, message: "refused", fields: fields))
    }

    @Test("422 naming an item sets that item aside; naming no item, or another fault, is an error to retry")
    func named() {
        let named = Self.refused(422, .validationFailed, fields: ["mutations[2].release.quantity": "must be 1 to 10000"])
        #expect(SyncEngine.refusal(named, of: Self.batch) == .setAside(30, SyncErrorDetail(
            code: "validation_failed", message: "refused", fields: ["mutations[2].release.quantity": "must be 1 to 10000"])))
        #expect(SyncEngine.refusal(Self.refused(422, .validationFailed, fields: ["clock.wall_milliseconds": "too large"]), of: Self.batch) == nil)
        #expect(SyncEngine.refusal(Self.refused(422, .validationFailed, fields: ["mutations[9].kind": "unknown"]), of: Self.batch) == nil)
        #expect(SyncEngine.refusal(Self.refused(401, .tokenExpired), of: Self.batch) == nil)
        #expect(SyncEngine.refusal(Self.refused(400, .unsupportedProtocolVersion), of: Self.batch) == nil)
        #expect(SyncEngine.refusal(.unreachable("down"), of: Self.batch) == nil)
    }

    @Test("413 splits the batch; a single mutation too large is set aside")
    func tooLarge() {
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), of: Self.batch) == .split)
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), of: [Self.batch[1]])
            == .setAside(20, SyncErrorDetail(code: "payload_too_large", message: "refused")))
    }
}
