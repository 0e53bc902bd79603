import Foundation
import SpotCore
import Testing

@testable import SpotSync

@Suite("Trust bundle JSON")
struct TrustBundleTests {
    let active = try! SigningKey(seed: [UInt8](repeating: 1, count: 32))
    let retired = try! SigningKey(seed: [UInt8](repeating: 2, count: 32))
    let until = Date(timeIntervalSince1970: 1_800_000_000)

    func bundle() throws -> TrustBundle {
        let certificate = try DeviceCertificate.issue(
            .init(
                devicePublicKey: try SigningKey(seed: [UInt8](repeating: 3, count: 32)).publicKey, nodeID: UUID(),
                venueID: UUID(), eventIDs: [UUID()], issuedAt: Date(timeIntervalSince1970: 1_700_000_000),
                notAfter: until),
            by: active)
        return TrustBundle(
            issuerKeys: [
                IssuerKey(publicKey: active.publicKey),
                IssuerKey(publicKey: retired.publicKey, status: .retired(verifiesUntil: until)),
            ],
            certificates: [certificate])
    }

    @Test("Encodes and decodes to an equal trust store")
    func roundTrip() throws {
        let original = try bundle()
        let decoded = try TrustBundle.decode(original.encoded())
        #expect(decoded == original)
        let store = try decoded.trustStore()
        #expect(store.issuerKeys.map(\.status) == [.active, .retired(verifiesUntil: until)])
        #expect(store.certificates.count == 1)
    }

    @Test("Bad fields are typed errors")
    func invalid() throws {
        var wrongID = try bundle()
        wrongID.issuerKeys[0].keyID = "0000000000000000"
        #expect(throws: TrustBundleError.self) { try wrongID.trustStore() }

        var retiredWithoutDate = try bundle()
        retiredWithoutDate.issuerKeys[1].verifiesUntil = nil
        #expect(throws: TrustBundleError.self) { try retiredWithoutDate.trustStore() }

        var badCertificate = try bundle()
        badCertificate.deviceCertificates[0] = "AAAA"
        #expect(throws: TrustBundleError.self) { try badCertificate.trustStore() }

        var future = try bundle()
        future.format = "hvflvspot.trust.v9"
        #expect(throws: TrustBundleError.unknownFormat("hvflvspot.trust.v9")) { try future.trustStore() }

        #expect(throws: TrustBundleError.self) { try TrustBundle.decode(Data("{\"format\":1}".utf8)) }
    }
}
