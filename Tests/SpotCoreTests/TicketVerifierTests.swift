import Foundation
import Testing

@testable import SpotCore

@Suite("Offline verdict function")
struct TicketVerifierTests {
    let noRevocations = RevocationList()
    let noScans = ScanLedger()

    @Test("A valid ticket is admitted and its verified claims are returned")
    func admits() {
        let ticket = Fixture.ticket()
        let result = Fixture.verifier().verify(ticket.text, at: Fixture.now, revocations: noRevocations, scans: noScans)
        #expect(result.verdict == .ok)
        #expect(result.verdict.signal == .green)
        #expect(result.ticket == ticket)
        #expect(result.message() == "Valid ticket: admit.")
    }

    @Test("A forged ticket returns no ticket details")
    func forgedHidesDetails() {
        var bytes = Fixture.ticket().bytes
        bytes[30] ^= 0xFF
        let result = Fixture.verifier().verify(Base45.encode(bytes), at: Fixture.now, revocations: noRevocations, scans: noScans)
        #expect(result.verdict == .invalidSignature)
        #expect(result.ticket == nil)
        #expect(result.verdict.signal == .red)
    }

    @Test("A payload prepared under one trust store is re-checked under another; a forged one stays refused")
    func preparedTickets() {
        let good = Fixture.ticket().text
        let knows = Fixture.verifier()
        let knowsNothing = Fixture.verifier(keys: [IssuerKey(publicKey: Fixture.key(2).publicKey)])
        // Prepared where the key is known, verified where it is not: unknown key.
        #expect(knowsNothing.verify(knows.prepare(good), at: Fixture.now, revocations: noRevocations, scans: noScans).verdict
            == .unknownKey(Fixture.key(1).keyID))
        // Prepared where the key is unknown (nothing verified), verified where it is known: checked then, admitted.
        #expect(knows.verify(knowsNothing.prepare(good), at: Fixture.now, revocations: noRevocations, scans: noScans).verdict == .ok)
        #expect(knows.verify(knows.prepare(good), at: Fixture.now, revocations: noRevocations, scans: noScans).verdict == .ok)
        var bytes = Fixture.ticket().bytes
        bytes[30] ^= 0xFF
        let forged = Base45.encode(bytes)
        #expect(knows.verify(knows.prepare(forged), at: Fixture.now, revocations: noRevocations, scans: noScans).verdict
            == .invalidSignature)
        #expect(knows.prepare("not a ticket").ticket == nil)
    }

    @Test("already_admitted says when, at which gate and which node")
    func alreadyAdmitted() {
        let admittedAt: Int64 = 1_796_499_000_000
        let ledger = ScanLedger([Fixture.scan(1, gate: "South", node: Fixture.nodeB, at: admittedAt)])
        let result = Fixture.verifier().verify(Fixture.ticket().text, at: Fixture.now, revocations: noRevocations, scans: ledger)
        #expect(result.verdict == .alreadyAdmitted(
            at: Date(timeIntervalSince1970: TimeInterval(admittedAt) / 1000), gate: "South", nodeID: Fixture.nodeB))
        #expect(result.verdict.signal == .amber)
        #expect(result.message() == "Already admitted 2026-12-05 19:30 UTC at gate South.")
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(result.message(timeZone: berlin) == "Already admitted 2026-12-05 20:30 at gate South.")
    }

    @Test("Sibling scans merged out of order: presence follows (HLC, node, scan) order")
    func outOfOrderMerge() {
        let entry = Fixture.scan(1, at: 1_000)
        let exit = Fixture.scan(2, direction: .exit, at: 2_000)
        let reentry = Fixture.scan(3, node: Fixture.nodeB, at: 3_000)
        for order in [[entry, exit, reentry], [reentry, exit, entry], [exit, reentry, entry]] {
            let ledger = ScanLedger(order)
            #expect(ledger.presence(of: Fixture.ticketID(1))?.latest == reentry)
            #expect(ledger.presence(of: Fixture.ticketID(1))?.lastEntry == reentry)
        }
        // Two scans in the same HLC instant: the smaller node id orders first.
        let a = Fixture.scan(4, direction: .exit, node: Fixture.nodeA, at: 5_000)
        let b = Fixture.scan(5, direction: .entry, node: Fixture.nodeB, at: 5_000)
        #expect(ScanLedger([a, b]).presence(of: Fixture.ticketID(1))?.latest == b)
        #expect(ScanLedger([b, a]).presence(of: Fixture.ticketID(1))?.latest == b)
    }

    @Test("Re-entry follows the event's policy")
    func reentry() {
        let ledger = ScanLedger([Fixture.scan(1, at: 1_000), Fixture.scan(2, direction: .exit, at: 2_000)])
        let text = Fixture.ticket().text
        let single = Fixture.verifier(events: [EventAdmission(eventID: Fixture.event, reentryPolicy: .singleEntry)])
        let again = Fixture.verifier(events: [EventAdmission(eventID: Fixture.event, reentryPolicy: .reentryAfterExit)])
        #expect(single.verify(text, at: Fixture.now, revocations: noRevocations, scans: ledger).verdict.code == .alreadyAdmitted)
        #expect(again.verify(text, at: Fixture.now, revocations: noRevocations, scans: ledger).verdict == .ok)
        let exit = again.verify(text, direction: .exit, at: Fixture.now, revocations: noRevocations, scans: ledger)
        #expect(exit.verdict == .notInside)
        #expect(exit.message() == "No entry recorded for this ticket: there is nothing to exit.")
    }

    @Test("A revocation of version N revokes every version up to N, not later ones")
    func revocationVersions() {
        var revocations = RevocationList()
        revocations.insert(Revocation(ticketID: Fixture.ticketID(1), issueVersion: 2, reason: .reissued))
        let verifier = Fixture.verifier()
        for version: UInt32 in [1, 2] {
            let verdict = verifier.verify(
                Fixture.ticket(version: version).text, at: Fixture.now, revocations: revocations, scans: noScans
            ).verdict
            #expect(verdict == .superseded(currentAtLeast: 3))
        }
        #expect(verifier.verify(Fixture.ticket(version: 3).text, at: Fixture.now, revocations: revocations, scans: noScans).verdict == .ok)
        // An older revocation arriving late never weakens a newer one.
        revocations.insert(Revocation(ticketID: Fixture.ticketID(1), issueVersion: 1, reason: .refunded))
        #expect(revocations.revocation(of: Fixture.ticketID(1))?.issueVersion == 2)
        // At the same version, a final revocation wins over a re-issue.
        revocations.insert(Revocation(ticketID: Fixture.ticketID(1), issueVersion: 2, reason: .refunded))
        #expect(revocations.revocation(of: Fixture.ticketID(1))?.reason == .refunded)
    }

    @Test("Time checks use the injected clock: valid_from inclusive, valid_until exclusive")
    func validityWindow() {
        let from = Fixture.now
        let until = Fixture.now.addingTimeInterval(60)
        let text = Fixture.ticket(validFrom: from, validUntil: until).text
        let verifier = Fixture.verifier()
        func verdict(at date: Date) -> Verdict {
            verifier.verify(text, at: date, revocations: noRevocations, scans: noScans).verdict
        }
        #expect(verdict(at: from.addingTimeInterval(-1)) == .notYetValid(validFrom: from))
        #expect(verdict(at: from) == .ok)
        #expect(verdict(at: until.addingTimeInterval(-1)) == .ok)
        #expect(verdict(at: until) == .expired(validUntil: until))
    }

    @Test("A retired key verifies until its window closes, then refuses")
    func retiredKey() {
        let closes = Fixture.now.addingTimeInterval(3600)
        let verifier = Fixture.verifier(keys: [IssuerKey(publicKey: Fixture.key(1).publicKey, status: .retired(verifiesUntil: closes))])
        let text = Fixture.ticket().text
        #expect(verifier.verify(text, at: Fixture.now, revocations: noRevocations, scans: noScans).verdict == .ok)
        #expect(verifier.verify(text, at: closes, revocations: noRevocations, scans: noScans).verdict == .keyRetired(Fixture.key(1).keyID))
    }

    @Test("A door-sale ticket signed by a certified device key is valid at every gate of the venue")
    func deviceCertificate() throws {
        let issuer = Fixture.key(1)
        let device = Fixture.key(9)
        let certificate = try DeviceCertificate.issue(
            .init(
                devicePublicKey: device.publicKey, nodeID: Fixture.nodeA, venueID: Fixture.venue,
                eventIDs: [Fixture.event], issuedAt: Fixture.now.addingTimeInterval(-86_400),
                notAfter: Fixture.now.addingTimeInterval(86_400)),
            by: issuer)
        let text = Fixture.ticket(key: device).text
        for gate in ["North", "South"] {
            let verifier = Fixture.verifier(certificates: [certificate], gate: gate)
            #expect(verifier.verify(text, at: Fixture.now, revocations: noRevocations, scans: noScans).verdict == .ok)
        }
        // Without the certificate the device key is unknown.
        #expect(Fixture.verifier().verify(text, at: Fixture.now, revocations: noRevocations, scans: noScans).verdict
            == .unknownKey(device.keyID))
        // Past not-after it no longer admits.
        let later = Fixture.now.addingTimeInterval(86_400)
        #expect(Fixture.verifier(certificates: [certificate]).verify(text, at: later, revocations: noRevocations, scans: noScans).verdict
            == .certificateExpired(notAfter: certificate.claims.notAfter))
    }

    @Test("Every verdict has a non-empty sentence without placeholders")
    func messages() {
        let verdicts: [Verdict] = [
            .ok, .malformed(.empty), .unsupportedVersion(2), .unknownKey(KeyID(rawValue: 1)), .invalidSignature,
            .keyRetired(KeyID(rawValue: 1)), .certificateExpired(notAfter: Fixture.now), .deviceNotAuthorized,
            .wrongEvent(Fixture.event), .eventCancelled, .unsupportedPolicy, .revoked(.unrecognized), .productNotAllowed(ticketTypeID: Fixture.ticketType),
            .revoked(.refunded), .superseded(currentAtLeast: 2), .notYetValid(validFrom: Fixture.now),
            .expired(validUntil: Fixture.now), .alreadyAdmitted(at: Fixture.now, gate: "A", nodeID: Fixture.nodeA),
            .notInside,
        ]
        #expect(Set(verdicts.map(\.code)) == Set(VerdictCode.allCases))
        for verdict in verdicts {
            for direction in ScanDirection.allCases {
                let message = verdict.message(direction: direction)
                #expect(message.count > 10 && message.hasSuffix("."), "\(verdict.code)")
                #expect(!message.contains("Optional("), "\(verdict.code)")
            }
        }
    }
}
