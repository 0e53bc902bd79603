import Foundation
import Testing

@testable import SpotCore

@Suite("Key ring, key files and device certificates")
struct KeyRingTests {
    @Test("Rotation retires the active key: it still verifies but never signs")
    func rotation() throws {
        let first = Fixture.key(1)
        let second = Fixture.key(2)
        var ring = KeyRing(activeKey: first)
        let until = Fixture.now.addingTimeInterval(86_400)
        try ring.rotate(to: second, retiredKeyVerifiesUntil: until)
        #expect(ring.activeKey.keyID == second.keyID)
        #expect(throws: KeyError.keyRetired(first.keyID)) { try ring.signingKey(first.keyID) }
        #expect(try ring.signingKey(second.keyID).keyID == second.keyID)
        #expect(throws: KeyError.unknownKey(Fixture.key(3).keyID)) { try ring.signingKey(Fixture.key(3).keyID) }
        #expect(throws: KeyError.duplicateKeyID(second.keyID)) {
            try ring.rotate(to: second, retiredKeyVerifiesUntil: until)
        }
        let published = ring.publicKeys
        #expect(published.map(\.status) == [.retired(verifiesUntil: until), .active])
        // A ticket signed before rotation still verifies with the published ring.
        let old = Fixture.ticket(key: first)
        let verifier = TicketVerifier(trust: try TrustStore(issuerKeys: published), gate: GatePolicy(gate: "A", events: nil))
        #expect(verifier.verify(old.text, at: Fixture.now, revocations: RevocationList(), scans: ScanLedger()).verdict == .ok)
    }

    @Test("A stored ring needs exactly one active key and unique ids")
    func storedRing() {
        let active = KeyRing.Entry(signingKey: Fixture.key(1), status: .active)
        let retired = KeyRing.Entry(signingKey: Fixture.key(2), status: .retired(verifiesUntil: Fixture.now))
        #expect(throws: KeyError.noActiveKey) { try KeyRing(entries: [retired]) }
        #expect(throws: KeyError.noActiveKey) {
            try KeyRing(entries: [active, KeyRing.Entry(signingKey: Fixture.key(3), status: .active)])
        }
        #expect(throws: KeyError.duplicateKeyID(Fixture.key(1).keyID)) { try KeyRing(entries: [active, active]) }
        #expect((try? KeyRing(entries: [retired, active]))?.activeKey.keyID == Fixture.key(1).keyID)
    }

    @Test("Armored key files round-trip and refuse the wrong kind of file")
    func armor() throws {
        let key = Fixture.key(4)
        #expect(try SigningKey(armored: key.armoredPrivateKey).seed == key.seed)
        #expect(try IssuerKey(armored: key.armoredPublicKey).keyID == key.keyID)
        #expect(KeyArmor.label(of: key.armoredPublicKey) == KeyArmor.publicKeyLabel)
        #expect(throws: KeyError.notArmored(expected: KeyArmor.privateKeyLabel)) {
            try SigningKey(armored: key.armoredPublicKey)
        }
        #expect(throws: KeyError.invalidBase64) {
            try SigningKey(armored: "-----BEGIN \(KeyArmor.privateKeyLabel)-----\n!!!\n-----END \(KeyArmor.privateKeyLabel)-----\n")
        }
        let short = KeyArmor.armor([1, 2, 3], label: KeyArmor.privateKeyLabel)
        #expect(throws: KeyError.invalidKeyLength) { try SigningKey(armored: short) }
    }

    @Test("A device certificate round-trips and the trust store checks its signature once")
    func certificate() throws {
        let issuer = Fixture.key(1)
        let claims = DeviceCertificate.Claims(
            devicePublicKey: Fixture.key(9).publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
            eventIDs: [Fixture.otherEvent, Fixture.event, Fixture.event], issuedAt: Fixture.now,
            notAfter: Fixture.now.addingTimeInterval(86_400))
        let certificate = try DeviceCertificate.issue(claims, by: issuer)
        #expect(certificate.claims.eventIDs == [Fixture.event, Fixture.otherEvent])
        #expect(try DeviceCertificate(bytes: certificate.bytes) == certificate)
        #expect(try DeviceCertificate(armored: certificate.armored) == certificate)
        #expect(certificate.deviceKeyID == Fixture.key(9).keyID)

        let issuerKey = IssuerKey(publicKey: issuer.publicKey)
        let trusted = try TrustStore(issuerKeys: [issuerKey], certificates: [certificate])
        #expect(trusted.signer(for: Fixture.key(9).keyID) != nil && trusted.rejectedCertificates.isEmpty)
        // A certificate that cannot be trusted is left out, with its reason; the rest stays trusted.
        let unknownIssuer = try TrustStore(issuerKeys: [IssuerKey(publicKey: Fixture.key(2).publicKey)], certificates: [certificate])
        #expect(unknownIssuer.signer(for: Fixture.key(9).keyID) == nil)
        #expect(unknownIssuer.rejectedCertificates.map(\.reason) == [.unknownIssuer(issuer.keyID)])
        var tampered = certificate.bytes
        tampered[60] ^= 1  // inside the venue id
        let badSignature = try TrustStore(issuerKeys: [issuerKey], certificates: [try DeviceCertificate(bytes: tampered)])
        #expect(badSignature.rejectedCertificates.map(\.reason) == [.invalidSignature])
        #expect(badSignature.signer(for: Fixture.key(9).keyID) == nil)
        // A device key that is also an issuer key would be ambiguous: the issuer key stays an issuer key,
        // the certificate is left out, and a genuine device beside it is still trusted.
        let selfCertified = try DeviceCertificate.issue(
            .init(devicePublicKey: issuer.publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
                  eventIDs: [Fixture.event], issuedAt: Fixture.now, notAfter: Fixture.now.addingTimeInterval(1)),
            by: issuer)
        let colliding = try TrustStore(issuerKeys: [issuerKey], certificates: [selfCertified, certificate])
        #expect(colliding.rejectedCertificates.map(\.reason) == [.keyIDCollision(issuer.keyID)])
        guard case .issuer = colliding.signer(for: issuer.keyID) else {
            Issue.record("the issuer key must stay an issuer key")
            return
        }
        guard case .device = colliding.signer(for: Fixture.key(9).keyID) else {
            Issue.record("the other device must stay trusted")
            return
        }
    }

    @Test("Malformed certificates are refused with a reason, never a crash")
    func malformedCertificates() throws {
        let certificate = try DeviceCertificate.issue(
            .init(devicePublicKey: Fixture.key(9).publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
                  eventIDs: [Fixture.event], issuedAt: Fixture.now, notAfter: Fixture.now.addingTimeInterval(1)),
            by: Fixture.key(1))
        for length in 0..<certificate.bytes.count {
            #expect(throws: CertificateError.self) { try DeviceCertificate(bytes: Array(certificate.bytes.prefix(length))) }
        }
        var version = certificate.bytes
        version[0] = 2
        #expect(throws: CertificateError.unsupportedVersion(2)) { try DeviceCertificate(bytes: version) }
        #expect(throws: CertificateError.eventCount(0)) {
            try DeviceCertificate.issue(
                .init(devicePublicKey: Fixture.key(9).publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
                      eventIDs: [], issuedAt: Fixture.now, notAfter: Fixture.now.addingTimeInterval(1)),
                by: Fixture.key(1))
        }
        #expect(throws: CertificateError.notAfterBeforeIssue) {
            try DeviceCertificate.issue(
                .init(devicePublicKey: Fixture.key(9).publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
                      eventIDs: [Fixture.event], issuedAt: Fixture.now, notAfter: Fixture.now),
                by: Fixture.key(1))
        }
    }
}
