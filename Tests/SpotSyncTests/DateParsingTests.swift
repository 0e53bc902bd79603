import Foundation
import SpotSync
import Testing

/// Dates from outside are RFC 3339 date-times, read exactly — what JSON Schema's `date-time`
/// admits is accepted, anything else refused.
@Suite("RFC 3339 date-times")
struct DateParsingTests {
    @Test("Every RFC 3339 form reads as the same instant; anything else is refused")
    func rfc3339() {
        let instant = Date(timeIntervalSince1970: 1_798_761_600)  // 2027-01-01T00:00:00Z
        for text in [
            "2027-01-01T00:00:00Z", "2027-01-01t00:00:00z", "2027-01-01T01:00:00+01:00", "2026-12-31T23:00:00-01:00",
            "2027-01-01T19:54:00+19:54", "2026-12-31T04:06:00-19:54", "2027-01-01T00:00:00.000Z",
        ] {
            #expect(SyncJSON.parseDate(text) == instant, "\(text)")
        }
        #expect(SyncJSON.parseDate("2027-01-01T00:00:00.25Z") == instant.addingTimeInterval(0.25))
        #expect(SyncJSON.parseDate("0469-10-24T00:45:35.531+04:16") != nil)
        for text in [
            "", "2027-01-01", "2027-01-01T00:00:00", "2027-13-01T00:00:00Z", "2027-02-30T00:00:00Z", "2027-01-01T24:00:00Z",
            "2027-01-01T00:60:00Z", "2027-01-01T00:00:00+24:00", "2027-01-01T00:00:00.Z", "2027-01-01T00:00:00Z ", "２０２７-01-01T00:00:00Z",
            "2027-01-01T00:00:00+01", "-027-01-01T00:00:00Z",
        ] {
            #expect(SyncJSON.parseDate(text) == nil, "\(text)")
        }
    }
}
