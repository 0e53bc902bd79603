import Foundation
import SpotCore
import SpotSync
import Testing

@testable import SpotNode

/// A push or a relay refused whole because of what it carries never stalls the outbox or the
/// relay: the named item is set aside, a batch too large is split (sync-v2.md §6.2, §6.4).
@Suite("Push refusals")
struct PushRefusalTests {
    static func refused(_ status: Int, _ code: ErrorCode, fields: [String: String]? = nil) -> SyncClientError {
        .server(status: status, SyncErrorDetail(code: code.rawValue, message: "refused", fields: fields))
    }

    @Test("422 naming an item sets that item aside; naming no item, or another fault, is an error to retry")
    func named() {
        let named = Self.refused(422, .validationFailed, fields: ["mutations[2].release.quantity": "must be 1 to 10000"])
        #expect(SyncEngine.refusal(named, items: 4, field: "mutations") == .setAside(2, SyncErrorDetail(
            code: "validation_failed", message: "refused", fields: ["mutations[2].release.quantity": "must be 1 to 10000"])))
        #expect(SyncEngine.refusal(Self.refused(422, .validationFailed, fields: ["clock.wall_milliseconds": "too large"]), items: 4, field: "mutations") == nil)
        #expect(SyncEngine.refusal(Self.refused(422, .validationFailed, fields: ["mutations[9].kind": "unknown"]), items: 4, field: "mutations") == nil)
        #expect(SyncEngine.refusal(Self.refused(401, .tokenExpired), items: 4, field: "mutations") == nil)
        #expect(SyncEngine.refusal(Self.refused(400, .unsupportedProtocolVersion), items: 4, field: "mutations") == nil)
        #expect(SyncEngine.refusal(.unreachable("down"), items: 4, field: "mutations") == nil)
    }

    @Test("413 splits the batch; a single mutation too large is set aside")
    func tooLarge() {
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), items: 4, field: "mutations") == .split)
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), items: 1, field: "mutations")
            == .setAside(0, SyncErrorDetail(code: "payload_too_large", message: "refused")))
    }

    @Test("A relay refused whole: 413 halves it, a single fact too large or a 422 naming a fact sets that fact aside")
    func relays() {
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), items: 500, field: "facts") == .split)
        #expect(SyncEngine.refusal(Self.refused(413, .payloadTooLarge), items: 1, field: "facts")
            == .setAside(0, SyncErrorDetail(code: "payload_too_large", message: "refused")))
        let named = Self.refused(422, .validationFailed, fields: ["facts[3].mutation_id": "must increase within one origin node"])
        #expect(SyncEngine.refusal(named, items: 5, field: "facts")
            == .setAside(3, SyncErrorDetail(code: "validation_failed", message: "refused", fields: ["facts[3].mutation_id": "must increase within one origin node"])))
        #expect(SyncEngine.refusal(named, items: 5, field: "mutations") == nil, "a relay's field names facts, not mutations")
    }
}
